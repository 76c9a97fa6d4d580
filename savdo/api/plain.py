"""Plain inputs: the till's everyday request bodies, read without DRF's field machinery.

DRF validates a body by deep-copying the serializer's fields and running each one's validation
chain: ~0.4 ms of Python per till request, more than the SQL it prepares. A serializer may name
`plain_fields`. For a body whose keys among the declared fields are only those, each value in its
plainest valid form (an id as a JSON integer, an amount as an integer or a plain decimal string, a
choice as one of its strings), `plain_input` returns exactly what `validated_data` would hold.
For anything else (a missing required field, a null, a value out of range, extra precision,
surrounding spaces, any doubt) it returns None and the serializer runs as always: the serializer
alone words errors. tests/api/test_plain_inputs.py compares the two on generated bodies.

The serializer's own `validate()` must be a no-op for the bodies it lets through: `plain_required`
names fields a plain body must hold although the serializer alone would not require them.

`SAVDO_PLAIN_INPUTS=0` sends every body to the serializer, to measure what plain reading saves.
"""

import re
from decimal import Decimal

from django.conf import settings
from rest_framework import fields as drf
from rest_framework.serializers import ListSerializer, Serializer

NOT_PLAIN = object()  # a reader's answer for a value it leaves to the serializer


def _integer(field: drf.IntegerField):
    low, high = field.min_value, field.max_value

    def read(value, context):
        if type(value) is not int or (low is not None and value < low) or (high is not None and value > high):
            return NOT_PLAIN
        return value

    return read


def _decimal(field: drf.DecimalField):
    places, digits = field.decimal_places, field.max_digits
    pattern = re.compile(rf"(0|[1-9][0-9]{{0,{digits - places - 1}}})(\.[0-9]{{1,{places}}})?")
    step = Decimal(1).scaleb(-places)
    low, high = field.min_value, field.max_value

    def read(value, context):
        if type(value) is str:
            if not pattern.fullmatch(value):
                return NOT_PLAIN
        elif type(value) is not int or not 0 <= value < 10 ** (digits - places):
            return NOT_PLAIN
        number = Decimal(value).quantize(step)
        if (low is not None and number < low) or (high is not None and number > high):
            return NOT_PLAIN
        return number

    return read


def _choice(field: drf.ChoiceField):
    choices = {key for key in field.choices if isinstance(key, str) and key}

    def read(value, context):
        return value if type(value) is str and value in choices else NOT_PLAIN

    return read


def _text(field: drf.CharField):
    """Printable text without surrounding spaces, within the length (and the regex, for a
    RegexField): what DRF would return unchanged."""
    shortest, longest = field.min_length or 0, field.max_length
    regex = None
    if isinstance(field, drf.RegexField):
        regex = next(v.regex for v in field.validators if hasattr(v, "regex"))

    def read(value, context):
        if type(value) is not str:
            return NOT_PLAIN
        if value == "":
            return "" if field.allow_blank else NOT_PLAIN
        if value != value.strip() or not value.isprintable():
            return NOT_PLAIN
        if len(value) < shortest or (longest is not None and len(value) > longest):
            return NOT_PLAIN
        if regex is not None and not regex.search(value):
            return NOT_PLAIN
        return value

    return read


def _nested(field: ListSerializer):
    child = reader_for(type(field.child), whole=True)
    shortest, longest, allow_empty = field.min_length or 0, field.max_length, field.allow_empty

    def read(value, context):
        if type(value) is not list or (not value and not allow_empty) or len(value) < shortest:
            return NOT_PLAIN
        if longest is not None and len(value) > longest:
            return NOT_PLAIN
        rows = []
        for row in value:
            row = child(row, context)
            if row is None:
                return NOT_PLAIN
            rows.append(row)
        return rows

    return read


def reader_of(field):
    """`read(value, context)` of one declared field: its validated value, or NOT_PLAIN."""
    own = getattr(field, "plain_reader", None)
    if own is not None:
        return own()
    if isinstance(field, ListSerializer):
        return _nested(field)
    if isinstance(field, drf.DecimalField):
        return _decimal(field)
    if isinstance(field, drf.IntegerField):
        return _integer(field)
    if isinstance(field, drf.ChoiceField):
        return _choice(field)
    if isinstance(field, drf.CharField):
        return _text(field)
    raise TypeError(f"no plain reader for {type(field).__name__}")


def _never(data, context):
    return None


def reader_for(serializer_class: type[Serializer], *, whole: bool = False):
    """`read(data, context) -> dict | None` for a serializer with `plain_fields` (or, `whole`, all
    of its fields: a nested one); cached on the class. Without them, every body goes to it."""
    cached = serializer_class.__dict__.get("_plain_reader")
    if cached is not None:
        return cached
    declared = serializer_class._declared_fields
    plain = set(declared if whole else getattr(serializer_class, "plain_fields", ()))
    if not plain:
        return _never
    required = set(getattr(serializer_class, "plain_required", ()))
    readers = {name: reader_of(declared[name]) for name in plain}
    defaults = {}
    for name in plain:
        field = declared[name]
        if field.required or name in required:
            defaults[name] = NOT_PLAIN
        elif field.default is not drf.empty:
            defaults[name] = field.default
    others = set(declared) - plain

    def read(data, context):
        if type(data) is not dict or others.intersection(data):
            return None
        values = {}
        for name, reader in readers.items():
            if name in data:
                value = reader(data[name], context)
            elif name in defaults:
                value = defaults[name]
                value = value() if callable(value) else value
            else:
                continue
            if value is NOT_PLAIN:
                return None
            values[name] = value
        return values

    serializer_class._plain_reader = read
    return read


def plain_input(serializer_class: type[Serializer], data, context: dict) -> dict | None:
    """What `serializer_class(data=data, context=context).validated_data` would be, or None when
    the body is not plain, or plain reading is switched off (then run the serializer)."""
    if not settings.SAVDO_PLAIN_INPUTS:
        return None
    return reader_for(serializer_class)(data, context)
