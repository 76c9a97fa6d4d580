from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "savdo.core"
    label = "core"
