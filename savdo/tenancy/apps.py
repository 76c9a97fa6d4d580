from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "savdo.tenancy"
    label = "tenancy"

    def ready(self):
        from savdo.tenancy import signals

        signals.connect()
