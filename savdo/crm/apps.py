from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "savdo.crm"
    label = "crm"
