import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _default_language():
    """Messages built outside a request use the default language (Russian): LocaleMiddleware leaves
    the last request's language active in the thread, so an earlier test's `uz` must not leak."""
    with translation.override(settings.LANGUAGE_CODE):
        yield
