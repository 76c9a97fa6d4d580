from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "savdo.messaging"
    label = "messaging"
