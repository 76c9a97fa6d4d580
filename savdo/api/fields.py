"""Serializer fields every surface shares: ids of the request's tenant, money, flags.

Timestamps need no field of their own: the kernel activates the tenant's time zone for the request
(`savdo.api.base.TenantScopedMixin`), so DRF's `DateTimeField` renders them in the store's zone.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from savdo.core.dates import moment_in_range, moment_message

# Ids are bigints: larger numbers are not ids of anything (and would overflow the database).
MAX_ID = 2**63 - 1
MAX_MONEY = Decimal("999999999999.99")


class TenantPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id of a row of the request's tenant (serializer context `tenant`).

    Another store's id reads exactly as an id that exists nowhere: the same 400 on the field, so a
    store cannot learn which ids other stores have. `scope(queryset)` narrows further (e.g. only
    active tariffs); `tenant_field` names the path to the tenant for models that are not
    tenant-owned themselves.
    """

    default_error_messages = {
        "does_not_exist": _("Not found."),
        "incorrect_type": _("Not found."),
    }

    def __init__(self, model=None, *, scope=None, tenant_field: str = "tenant", **kwargs):
        self.model = model if model is not None else kwargs["queryset"].model
        self.scope = scope
        self.tenant_field = tenant_field
        kwargs.setdefault("pk_field", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        if not kwargs.get("read_only"):
            kwargs["queryset"] = self.model._default_manager.none()
        super().__init__(**kwargs)

    def get_queryset(self):
        tenant = self.context.get("tenant")
        if tenant is None:
            return self.model._default_manager.none()
        queryset = self.model._default_manager.filter(**{self.tenant_field: tenant})
        return self.scope(queryset) if self.scope is not None else queryset

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("does_not_exist", pk_value=data)
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            # The pk field's own messages (not an integer, out of range) would tell more than
            # "not found" about what exists: one message for every id that is not ours.
            self.fail("does_not_exist", pk_value=data)


def money_field(*, as_string: bool = True, **kwargs) -> serializers.DecimalField:
    """Money with two decimals: a string ("1500.00") or a JSON number, as the surface's document
    shows it. Input with more than two decimals is a 400."""
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 2)
    kwargs.setdefault("max_value", MAX_MONEY)
    kwargs.setdefault("min_value", -MAX_MONEY)
    return serializers.DecimalField(coerce_to_string=as_string, **kwargs)


def positive_money_field(*, as_string: bool = True, **kwargs) -> serializers.DecimalField:
    """An amount that moves money: positive, two decimals at most."""
    kwargs["min_value"] = Decimal("0.01")
    return money_field(as_string=as_string, **kwargs)


class FlagField(serializers.BooleanField):
    """A strict boolean: true/false (and 1/0, "true"/"false"); anything else is a 400, not False."""

    TRUE_VALUES = {True, "1", "true", "True"}
    FALSE_VALUES = {False, "0", "false", "False"}


class StoredChoiceField(serializers.ChoiceField):
    """A choice a write must name, read back as the row holds it: "" where the row has none (the
    OpenAPI schema says so for answers only, `savdo.api.schema.SurfaceAutoSchema`)."""

    reads_blank = True


class MomentField(serializers.DateTimeField):
    """A moment a client writes (a task's due date): DRF's date-time, from `MIN_MOMENT_DATE` to
    `MAX_QUERY_DATE` (savdo/core/dates.py says why), else a 400 naming the range."""

    def to_internal_value(self, value):
        try:
            moment = super().to_internal_value(value)
        except OverflowError:
            moment = None
        if moment is None or not moment_in_range(moment):
            raise serializers.ValidationError(moment_message(), code="invalid")
        return moment
