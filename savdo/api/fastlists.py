"""A faster `many=True` representation for read-heavy lists, with exactly the serializer's output.

DRF renders each row by walking the serializer's fields: `get_attribute` (a `source_attrs` walk in
a try/except), a None check and `to_representation` per field, then builds a dict. For a page of
20 customers with 30 fields that is ~600 field round trips, a third of the list's time. Here the
walk is planned once per serializer class: a plain attribute read for fields whose representation
of a database value is the value itself (text, integers, booleans, choices stored as their value,
foreign-key ids), and the field's own `to_representation` for everything else (dates, decimals,
anything custom). Fields are bound to the class's first instance, so the plan is only used when
every field is of a kind whose output cannot depend on the request (`PLANNABLE`, or a nested
one-object serializer made only of such fields); otherwise the rows are rendered by DRF as usual.

Use it with `Meta.list_serializer_class = FastListSerializer`. tests/api/test_fastlists.py proves
the output equals DRF's for every serializer that uses it.

`SAVDO_FAST_LISTS=0` renders every list as DRF's `ListSerializer` does (and the till's sale as its
serializer's `.data`, see `render_sale`), to measure what the plans save.
"""

from collections.abc import Mapping
from decimal import Decimal, getcontext
from operator import attrgetter, itemgetter

from django.conf import settings
from django.db import models
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.fields import SkipField
from rest_framework.settings import api_settings

# Output depends only on the value (and the active time zone), never on the request or context.
PLANNABLE = (
    drf_fields.CharField,
    drf_fields.IntegerField,
    drf_fields.BooleanField,
    drf_fields.ChoiceField,
    drf_fields.DecimalField,
    drf_fields.DateField,
    drf_fields.DateTimeField,
    drf_fields.FloatField,
    drf_fields.UUIDField,
    drf_fields.ReadOnlyField,
    relations.PrimaryKeyRelatedField,
)
_plans: dict[type, list | None] = {}


# Fields whose representation of a database value is the value itself (None stays None). Exact
# classes only: a subclass may render differently.
IDENTITY = (drf_fields.CharField, drf_fields.EmailField, drf_fields.IntegerField, drf_fields.BooleanField)


def _identity_kind(field) -> bool:
    return type(field) in IDENTITY


def _step(field, mapping: bool = False):
    """(name, getter, render): render None means the attribute is the output. With `mapping`, the
    instances are dicts (DRF reads their items)."""
    name = field.field_name
    custom_get = type(field).get_attribute is not drf_fields.Field.get_attribute
    if isinstance(field, relations.PrimaryKeyRelatedField):
        if mapping or not field.use_pk_only_optimization() or len(field.source_attrs) != 1:
            return None
        # DRF renders the foreign key column's value (`serializable_value`), or that through an
        # IntegerField pk_field: the same integer (or None)
        if field.pk_field is not None and type(field.pk_field) is not drf_fields.IntegerField:
            return None
        source = field.source_attrs[0]
        return name, attrgetter(f"{source}_id"), None
    if custom_get or field.source == "*":
        return name, field.get_attribute, field.to_representation
    if mapping:
        if len(field.source_attrs) != 1:
            return None
        getter = itemgetter(field.source_attrs[0])
    else:
        getter = attrgetter(".".join(field.source_attrs))
    return name, getter, None if _identity_kind(field) else _representation(field)


def _representation(field):
    """The field's `to_representation`; for a plain DecimalField, one that skips DRF's quantize
    (a context copy and a power of ten per value) when the value already has the field's places."""
    if type(field) is not drf_fields.DecimalField or field.localize or field.normalize_output:
        return field.to_representation
    if not getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING):
        return field.to_representation
    slow, exponent, most = field.to_representation, -field.decimal_places, field.max_digits

    def render(value):
        if type(value) is Decimal:
            _sign, digits, value_exponent = value.as_tuple()
            # DRF quantizes with the field's digits as precision (the context's without): more fail
            if value_exponent == exponent and len(digits) <= (most or getcontext().prec):
                return f"{value:f}"  # what DRF returns: quantizing to its own places changes nothing
        return slow(value)

    return render


def _plain_serializer(serializer) -> bool:
    """A serializer DRF renders field by field (no custom `to_representation`)."""
    return type(serializer).to_representation is serializers.Serializer.to_representation


def _nested_step(field, mapping: bool = False):
    """A nested (one-object) serializer read from one attribute: rendered by its own plans (one
    for objects, one for dicts)."""
    if mapping or not _plain_serializer(field) or field.source == "*" or len(field.source_attrs) != 1:
        return None
    for_objects, for_dicts = _plan(field), _plan(field, mapping=True)
    if for_objects is None or for_dicts is None:
        return None

    def render(value):
        return _render(for_dicts if isinstance(value, Mapping) else for_objects, value)

    return field.field_name, attrgetter(field.source_attrs[0]), render


def _plan(child, mapping: bool = False) -> list | None:
    steps = []
    for field in child._readable_fields:
        if isinstance(field, serializers.Serializer):
            step = _nested_step(field, mapping)
        elif not isinstance(field, PLANNABLE) or len(field.source_attrs) > 1:
            return None
        else:
            step = _step(field, mapping)
        if step is None:
            return None
        steps.append(step)
    return steps


def _render(plan: list, instance) -> dict:
    row = {}
    for name, getter, render in plan:
        try:
            value = getter(instance)
        except SkipField:
            continue
        row[name] = value if value is None or render is None else render(value)
    return row


def instance_plan(serializer) -> list:
    """The plan of one serializer instance that renders every object (`render(plan, obj)` ==
    `serializer.to_representation(obj)`): planned steps where `_step` allows, DRF's own
    `get_attribute` and `to_representation` of the field for everything else (nested and list
    serializers, sources through relations). For a serializer whose output depends on the object
    alone, shared by every call (`savdo.api.retail.pos.serializers.render_sale`)."""
    if not _plain_serializer(serializer):
        raise ValueError(f"{type(serializer).__name__} has its own to_representation")
    steps = []
    for field in serializer._readable_fields:
        step = None
        if isinstance(field, PLANNABLE) and len(field.source_attrs) == 1:
            step = _step(field)
        steps.append(step or (field.field_name, field.get_attribute, field.to_representation))
    return steps


def render(plan: list, instance) -> dict:
    return _render(plan, instance)


class FastListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        if not settings.SAVDO_FAST_LISTS:
            return super().to_representation(data)
        child_class = type(self.child)
        if child_class not in _plans:
            _plans[child_class] = _plan(self.child)
        plan = _plans[child_class]
        if plan is None or not _plain_serializer(self.child):
            return super().to_representation(data)
        rows = data.all() if isinstance(data, models.manager.BaseManager) else data
        return [_render(plan, instance) for instance in rows]
