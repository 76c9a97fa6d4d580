from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The API surfaces: they own no models; registered so their checks and templates load."""

    name = "savdo.api"
    label = "savdo_api"

    def ready(self):
        from savdo.api import principals  # noqa: F401  (connects the cache's invalidation receivers)
