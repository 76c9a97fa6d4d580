from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "savdo.tenancy"
    label = "tenancy"
