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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from axes.exceptions import AxesBackendPermissionDenied
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
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
    default_detail = "Conflict."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
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


def normalize_exception(exc: Exception) -> ApiError | None:
    """Turn a known exception into an ApiError; None means "unknown: let it be a 500"."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, AxesBackendPermissionDenied):
        exc = LockedOut(_("Too many failed login attempts. Try again later."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(_("Request body is too large."))

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
        return ApiError(status_code, CODES[400], _first_message(detail), detail, headers, is_validation=True)
    if isinstance(exc, exceptions.ParseError):
        return ApiError(400, "PARSE_ERROR", _("Malformed request body: %(detail)s") % {"detail": exc.detail})
    if isinstance(exc, exceptions.Throttled):
        return ApiError(429, CODES[429], str(exc.detail), None, headers)
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

    return handler


def style_for_path(path: str) -> Callable[[ApiError], dict]:
    if path.startswith("/api/v1/") or path == "/api/v1":
        return crm_style_body
    if path.startswith(("/api/clients", "/api/chats")):
        return clients_style_body
    return drf_style_body


def error_body_for_path(path: str, status_code: int, code: str, message: str) -> dict:
    """The body of an error raised outside a view (unknown route, oversized body, server error)."""
    return style_for_path(path)(ApiError(status_code, code, message))
