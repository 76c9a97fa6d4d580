"""What runs around every request before any view: the access log, and request limits (body size)."""

import logging
import time

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from savdo.api.errors import error_response_for_path

access_log = logging.getLogger("savdo.access")
# Probes answer load balancers and orchestrators every few seconds: logging them would drown the rest.
UNLOGGED_PATHS = frozenset({"/healthz", "/healthz/", "/readyz", "/readyz/"})


class AccessLogMiddleware:
    """One line per request on the `savdo.access` logger (INFO):
    `<method> <path> <status> <duration> ms store=<tenant id>` (`store=-` when the request has none,
    e.g. an anonymous one). It is the outermost middleware, so the duration is the whole of Django's work and
    every answer is logged, refusals by other middleware included; the probes are not logged.

    The path is logged without its query string, which can hold what customers typed (phones, names).
    Django's own `django.request` logger keeps only server errors (see LOGGING), so a 4xx is one line.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in UNLOGGED_PATHS or not access_log.isEnabledFor(logging.INFO):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        tenant = getattr(request, "tenant", None)
        access_log.info(
            "%s %s %s %.1f ms store=%s",
            request.method,
            request.path,
            response.status_code,
            elapsed_ms,
            tenant.pk if tenant is not None else "-",
        )
        return response


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
        bulk = request.path.rstrip("/") in settings.BULK_BODY_PATHS
        limit = settings.MAX_BULK_BODY_BYTES if bulk else settings.MAX_BODY_BYTES
        if size > limit:
            with translation.override(translation.get_language_from_request(request)):
                message = _("Request body is too large (at most %(limit)s bytes).") % {"limit": limit}
                return error_response_for_path(request.path, 413, "PAYLOAD_TOO_LARGE", message)
        return self.get_response(request)
