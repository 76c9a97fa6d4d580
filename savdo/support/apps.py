from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "savdo.support"
    label = "support"
