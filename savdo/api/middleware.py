"""Request limits enforced before any view runs: body size and media type."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

from savdo.api.errors import error_body_for_path


class RequestLimitsMiddleware:
    """Refuse bodies over `MAX_BODY_BYTES` with 413 in the shape of the surface the path belongs to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(length)
        except ValueError:
            size = 0
        if size > settings.MAX_BODY_BYTES:
            message = _("Request body is too large (at most %(limit)s bytes).") % {"limit": settings.MAX_BODY_BYTES}
            return JsonResponse(error_body_for_path(request.path, 413, "PAYLOAD_TOO_LARGE", message), status=413)
        return self.get_response(request)
