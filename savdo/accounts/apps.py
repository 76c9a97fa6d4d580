from django.apps import AppConfig
from django.core import checks


class AccountsConfig(AppConfig):
    name = "savdo.accounts"
    label = "accounts"

    def ready(self) -> None:
        checks.register(check_token_blacklist_installed, checks.Tags.security)
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        # simplejwt's refresh silently skips blacklisting when the app is missing: refuse to start.
        if "rest_framework_simplejwt.token_blacklist" not in settings.INSTALLED_APPS:
            raise ImproperlyConfigured("rest_framework_simplejwt.token_blacklist must be installed.")


def check_token_blacklist_installed(app_configs, **kwargs):
    from django.apps import apps

    if not apps.is_installed("rest_framework_simplejwt.token_blacklist"):
        return [checks.Error("Token blacklist app is not installed.", id="savdo.E001")]
    return []
