from django.apps import AppConfig


class TelecomConfig(AppConfig):
    name = "savdo.telecom"
    label = "telecom"
