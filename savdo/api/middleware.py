"""Request limits enforced before any view runs: body size."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from savdo.api.errors import error_response_for_path


class RequestLimitsMiddleware:
    """Refuse bodies over `MAX_BODY_BYTES` with 413 in the shape of the surface the path belongs to.

    It runs before LocaleMiddleware (nothing else should run for such a request), so it picks the
    request's language itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(length)
        except ValueError:
            size = 0
        if size > settings.MAX_BODY_BYTES:
            with translation.override(translation.get_language_from_request(request)):
                message = _("Request body is too large (at most %(limit)s bytes).") % {"limit": settings.MAX_BODY_BYTES}
                return error_response_for_path(request.path, 413, "PAYLOAD_TOO_LARGE", message)
        return self.get_response(request)
