"""Phone numbers: parsed with `phonenumbers`, validated against a region, stored in E.164."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")
INVALID_PHONE = _("Enter a valid value.")


def normalize_phone(raw: str, region: str | None = None, *, strict_e164: bool = False) -> str:
    """Return `raw` as E.164, or raise ValidationError.

    `strict_e164` accepts only the written form `+<digits>` (no spaces, no national form): the
    retail surface's documented `+998XXXXXXXXX` rule. Otherwise national forms for `region` work.
    """
    value = (raw or "").strip()
    if strict_e164 and not E164_RE.match(value):
        raise ValidationError(INVALID_PHONE, code="invalid")
    try:
        parsed = phonenumbers.parse(value, region or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(INVALID_PHONE, code="invalid") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(INVALID_PHONE, code="invalid")
    if strict_e164 and region and phonenumbers.region_code_for_number(parsed) != region.upper():
        raise ValidationError(INVALID_PHONE, code="invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def region_of_phone(raw: str, default: str = "UZ") -> str:
    """The ISO region a phone number belongs to (used to set a new store's phone region)."""
    try:
        parsed = phonenumbers.parse((raw or "").strip(), None)
    except phonenumbers.NumberParseException:
        return default
    return phonenumbers.region_code_for_number(parsed) or default


def phone_search_digits(term: str) -> str:
    """Digits of a search term that looks like a phone ('+998 90', '998901234567'); '' otherwise.

    A `+` in a query string arrives as a space after URL decoding, so both are accepted.
    """
    stripped = term.strip().replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
    if stripped.startswith("+"):
        stripped = stripped[1:]
    return stripped if stripped.isdigit() and len(stripped) >= 3 else ""
