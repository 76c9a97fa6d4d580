"""Query-parameter filters every surface shares, scoped like everything else.

A filter by a related id compares the id inside the request's (already tenant-scoped) queryset: an
id of another store and an id that exists nowhere both give an empty answer, never an error for one
and not the other (which would tell one store which ids another store has).
"""

from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from savdo.api.fields import MAX_ID

FLAG_VALUES = {"true": True, "True": True, "1": True, "false": False, "False": False, "0": False}


def related_id_filter(field_name: str, **kwargs) -> filters.NumberFilter:
    """`?customer=<id>`: rows whose `field_name` is that id (compared as a column, no lookup of the
    related row). Not an integer in range: 400."""
    if not field_name.endswith("_id") and "__" not in field_name:
        field_name = f"{field_name}_id"
    return filters.NumberFilter(field_name=field_name, min_value=1, max_value=MAX_ID, **kwargs)


@extend_schema_field(OpenApiTypes.BOOL)
class FlagFilter(filters.TypedChoiceFilter):
    """`?is_active=true|false|1|0`; any other value is a 400, not silently ignored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [(value, value) for value in FLAG_VALUES])
        kwargs.setdefault("coerce", FLAG_VALUES.__getitem__)
        super().__init__(*args, **kwargs)
