"""Document 000 shows money as JSON numbers with two places (`150000.00`). Python's json module
writes a Decimal only via float (`150000.0`), so this renderer writes each Decimal's exact text as the
number instead: nothing is rounded through binary floating point."""

import re
import secrets
from decimal import Decimal

from rest_framework.renderers import JSONRenderer


def _mark(value, token: str):
    if isinstance(value, Decimal):
        return f"{token}{value:f}{token}"
    if isinstance(value, dict):
        return {key: _mark(item, token) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mark(item, token) for item in value]
    return value


class ExactDecimalJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        token = f"dec{secrets.token_hex(8)}"
        rendered = super().render(_mark(data, token), accepted_media_type, renderer_context)
        pattern = re.compile(rf'"{token}(-?\d+(?:\.\d+)?){token}"'.encode())
        return pattern.sub(rb"\1", rendered)
