"""Formats of a SIM card's identifiers: ICCID (ITU-T E.118), IMSI (ITU-T E.212), MSISDN (E.164)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from savdo.core.phones import normalize_phone

ICCID_RE = re.compile(r"^\d{19,20}$")
IMSI_RE = re.compile(r"^\d{15}$")
TRANSACTION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")

MSG_ICCID = _("An ICCID is 19 or 20 digits ending in a valid Luhn check digit.")
MSG_IMSI = _("An IMSI is 15 digits.")
MSG_MSISDN = _("Enter the phone number in international format, e.g. +996550123456.")
MSG_TRANSACTION_ID = _("A transaction id is 1 to 64 letters, digits or the characters . _ : / -")

# Spaces and dashes people type inside long numbers.
_SEPARATORS = re.compile(r"[\s-]")


def luhn_valid(digits: str) -> bool:
    """Whether the last digit of `digits` is the Luhn check digit of the others."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def clean_iccid(value: str) -> str:
    """The ICCID as stored (digits only); raises ValidationError."""
    digits = _SEPARATORS.sub("", str(value or ""))
    if not ICCID_RE.match(digits) or not luhn_valid(digits):
        raise ValidationError(MSG_ICCID, code="invalid")
    return digits


def clean_imsi(value: str) -> str:
    digits = _SEPARATORS.sub("", str(value or ""))
    if not IMSI_RE.match(digits):
        raise ValidationError(MSG_IMSI, code="invalid")
    return digits


def clean_msisdn(value: str) -> str:
    """The phone number in E.164; it must carry its country code (`+996...`)."""
    raw = re.sub(r"[\s()-]", "", str(value or ""))
    if not raw.startswith("+"):
        raise ValidationError(MSG_MSISDN, code="invalid")
    try:
        return normalize_phone(raw, None)
    except ValidationError as exc:
        raise ValidationError(MSG_MSISDN, code="invalid") from exc


def clean_transaction_id(value: str) -> str:
    text = str(value or "").strip()
    if not TRANSACTION_ID_RE.match(text):
        raise ValidationError(MSG_TRANSACTION_ID, code="invalid")
    return text
