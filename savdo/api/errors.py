"""Error rendering shared by the surfaces: one normalisation, one body shape per document.

Every exception becomes (status, code, message, details) first; each surface then renders that in
its document's shape:

- retail and telecom (000, 001, 004): validation errors as DRF's `{"field": ["message"]}`,
  anything else as `{"status": "error", "message": ...}`;
- crm_v1 (003): `{"success": false, "error": {"code", "message", "details"}}`;
- clients (002): `{"message": ..., "code": ..., "errors": {...}}` (002 shows no error body; this
  keeps its camelCase, flat style).
"""

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger("savdo.api")

CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("Conflict.")
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("Request body is too large.")
    default_code = "payload_too_large"


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = gettext_lazy("Too many failed login attempts. Try again later.")
    default_code = "locked_out"


@dataclass
class ApiError:
    status: int
    code: str
    message: str
    details: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    is_validation: bool = False


def _first_message(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        inner = _first_message(value)
        return inner if key in ("non_field_errors", "detail") else f"{key}: {inner}"
    return str(detail)


def _cool_off_seconds() -> float | None:
    """How long a locked-out username waits (axes takes a timedelta or a number of hours)."""
    cool_off = getattr(settings, "AXES_COOLOFF_TIME", None)
    if isinstance(cool_off, timedelta):
        return cool_off.total_seconds()
    if isinstance(cool_off, int | float):
        return cool_off * 3600
    return None


# DRF sentences it does not mark for translation, keyed by their text.
UNTRANSLATED = {"No data provided": gettext_lazy("No data provided")}


def _translate_untranslated(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _translate_untranslated(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_translate_untranslated(value) for value in detail]
    if isinstance(detail, exceptions.ErrorDetail) and str(detail) in UNTRANSLATED:
        return exceptions.ErrorDetail(str(UNTRANSLATED[str(detail)]), code=detail.code)
    return detail


def normalize_exception(exc: Exception) -> ApiError | None:
    """Turn a known exception into an ApiError; None means "unknown: let it be a 500"."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, AxesBackendPermissionDenied):
        exc = LockedOut()
        exc.wait = _cool_off_seconds()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()

    if not isinstance(exc, exceptions.APIException):
        return None

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    status_code = exc.status_code
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        detail = _translate_untranslated(detail)
        return ApiError(status_code, CODES[400], _first_message(detail), detail, headers, is_validation=True)
    if isinstance(exc, exceptions.ParseError):
        # 003 lists VALIDATION_ERROR as the code of every 400.
        return ApiError(400, CODES[400], _("Malformed request body: %(detail)s") % {"detail": exc.detail})
    if isinstance(exc, exceptions.Throttled):
        # DRF formats the wait into its msgid before the lookup, so its sentence never translates.
        if exc.wait is not None:
            wait = max(1, math.ceil(exc.wait))
            message = ngettext(
                "Too many requests. Try again in %(wait)d second.",
                "Too many requests. Try again in %(wait)d seconds.",
                wait,
            ) % {"wait": wait}
        else:
            message = _("Too many requests. Try again later.")
        return ApiError(429, CODES[429], message, None, headers)
    detail = exc.detail
    if isinstance(detail, dict):
        # simplejwt's InvalidToken carries {"detail", "code", "messages"}: keep the sentence.
        message = str(detail.get("detail") or _first_message(detail))
    elif isinstance(detail, list):
        message = _first_message(detail)
    else:
        message = str(detail)
    code = CODES.get(status_code, str(getattr(exc, "default_code", "ERROR")).upper())
    return ApiError(status_code, code, message, None, headers)


# --- body shapes, one per document style -------------------------------------------------------


def drf_style_body(error: ApiError) -> dict:
    if error.is_validation:
        return error.details
    return {"status": "error", "message": error.message}


def crm_style_body(error: ApiError) -> dict:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details is not None:
        body["details"] = error.details
    return {"success": False, "error": body}


def clients_style_body(error: ApiError) -> dict:
    body: dict[str, Any] = {"message": error.message, "code": error.code}
    if error.details is not None:
        body["errors"] = error.details
    return body


def make_exception_handler(render_body: Callable[[ApiError], dict]):
    """A DRF EXCEPTION_HANDLER that renders errors with `render_body` and rolls back the request."""

    def handler(exc: Exception, context: dict) -> Response | None:
        error = normalize_exception(exc)
        if error is None:
            return None
        set_rollback()
        return Response(render_body(error), status=error.status, headers=error.headers)

    handler.render_body = render_body  # the OpenAPI schema documents the errors in this shape
    return handler


def style_for_path(path: str) -> Callable[[ApiError], dict]:
    if path.startswith("/api/v1/") or path == "/api/v1":
        return crm_style_body
    if path.startswith(("/api/clients", "/api/chats")):
        return clients_style_body
    return drf_style_body


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """A DRF EXCEPTION_HANDLER choosing the error shape from the request path, for views that do
    not name their surface's handler (third-party views, a view that forgot its mixin)."""
    request = context.get("request")
    return make_exception_handler(style_for_path(getattr(request, "path", "") or ""))(exc, context)


def error_body_for_path(path: str, status_code: int, code: str, message: str) -> dict:
    """The body of an error raised outside a view (unknown route, oversized body, server error)."""
    return style_for_path(path)(ApiError(status_code, code, message))


def error_response_for_path(path: str, status_code: int, code: str, message: str) -> JsonResponse:
    """A JSON error answered outside DRF (unknown route, oversized body, server error), non-ASCII
    text kept readable."""
    body = error_body_for_path(path, status_code, code, message)
    return JsonResponse(body, status=status_code, json_dumps_params={"ensure_ascii": False})
