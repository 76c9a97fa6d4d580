"""Page-size limits shared by every surface's pagination."""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError


def positive_int_param(request, name: str, default: int, maximum: int | None = None) -> int:
    """A positive integer query parameter, capped at `maximum` (page, limit, page_size, days)."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationError({name: [_("A whole number is required.")]}) from exc
    if value < 1:
        raise ValidationError({name: [_("Must be at least 1.")]})
    cap = maximum if maximum is not None else settings.MAX_PAGE_SIZE
    return min(value, cap)
