from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "savdo.core"
    label = "core"

    def ready(self):
        from savdo.core import counts

        counts.connect()
