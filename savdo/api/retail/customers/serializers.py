"""Document 000's customer and group shapes (plus 001 §6's `name`/`address` create shape).

Request shape and formats only: the rules (uniqueness, company name, name splitting, tenant
checks) live in `savdo.customers.services`, which the views declare as their services.

Rendering decisions: money (`total_purchases`, `loyalty_points`, `average_check`) and percentages
are JSON numbers, as document 000 shows them (`500000.00`, `15.00`); timestamps are ISO 8601 to the
second in the tenant's time zone (`"2025-11-17T20:00:00+05:00"`).
"""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from savdo.api.fastlists import FastListSerializer
from savdo.core.money import MONEY_MAX_DIGITS, MONEY_PLACES
from savdo.core.phones import normalize_phone
from savdo.customers.models import Customer, CustomerGroup

MAX_ID = 2**63 - 1


class SecondsDateTimeField(serializers.DateTimeField):
    """ISO 8601 to the second in the current (tenant's) time zone, as the documents show it."""

    def to_representation(self, value):
        if value is None:
            return None
        return timezone.localtime(value).replace(microsecond=0).isoformat()


class MoneyNumberField(serializers.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_PLACES)
        kwargs["coerce_to_string"] = False
        super().__init__(**kwargs)


class PercentField(serializers.DecimalField):
    def __init__(self, **kwargs):
        kwargs.update(max_digits=5, decimal_places=2, coerce_to_string=False, min_value=0, max_value=100)
        super().__init__(**kwargs)


class DisplayNameField(serializers.CharField):
    """001 §6 `name`: written as the display name, read as the name every surface shows."""

    def get_attribute(self, instance):
        return instance.full_name


class TenantGroupField(serializers.PrimaryKeyRelatedField):
    """A customer group id of the request's tenant; another tenant's or an unknown id is "not found"."""

    default_error_messages = {
        "does_not_exist": _("Customer group not found."),
        "incorrect_type": _("Customer group not found."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        super().__init__(**kwargs)

    def get_queryset(self):
        tenant = self.context.get("tenant")
        if tenant is None:
            return CustomerGroup.objects.none()
        return CustomerGroup.objects.for_tenant(tenant)


class RetailPhoneField(serializers.CharField):
    """Document 000's phone: exactly `+<country><number>` of the tenant's region (`+998XXXXXXXXX`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value == "":
            return value
        tenant = self.context.get("tenant")
        region = tenant.phone_region if tenant is not None else None
        try:
            return normalize_phone(value, region, strict_e164=True)
        except DjangoValidationError as exc:  # the documented "Введите правильное значение."
            raise serializers.ValidationError(exc.messages) from exc


def surface_errors(exc: Exception) -> Exception:
    """A service's field errors with this surface's names (`display_name` is `name`); other
    exceptions as they are."""
    if not isinstance(exc, DjangoValidationError) or not hasattr(exc, "error_dict"):
        return exc
    renamed = {SURFACE_NAMES.get(field, field): messages for field, messages in exc.message_dict.items()}
    return serializers.ValidationError(renamed)


SURFACE_NAMES = {"display_name": "name", "__all__": "non_field_errors"}


# The fields of document 000's customer ("Поля покупателя"), in its order, plus 001 §6 `name`.
CUSTOMER_FIELDS = [
    "id",
    "first_name",
    "last_name",
    "middle_name",
    "full_name",
    "name",
    "customer_type",
    "company_name",
    "tax_id",
    "phone",
    "phone_2",
    "email",
    "address",
    "city",
    "region",
    "postal_code",
    "group",
    "discount_percent",
    "birthday",
    "notes",
    "is_active",
    "is_blocked",
    "total_purchases",
    "total_purchases_count",
    "loyalty_points",
    "average_check",
    "last_purchase_at",
    "created_at",
    "updated_at",
]


class RetailCustomerSerializer(serializers.ModelSerializer):
    """A customer as document 000 shows it; read-only fields sent by a client are ignored."""

    error_messages_required = serializers.Field.default_error_messages["required"]

    first_name = serializers.CharField(max_length=150, required=False)
    full_name = serializers.CharField(read_only=True)
    name = DisplayNameField(source="display_name", max_length=255, required=False, allow_blank=True)
    phone = RetailPhoneField()
    phone_2 = RetailPhoneField(required=False, allow_blank=True)
    group = TenantGroupField(required=False, allow_null=True)
    discount_percent = PercentField(required=False)
    is_active = serializers.BooleanField(required=False)
    is_blocked = serializers.BooleanField(required=False)
    total_purchases = MoneyNumberField(read_only=True)
    loyalty_points = MoneyNumberField(read_only=True)
    average_check = MoneyNumberField(read_only=True)
    last_purchase_at = SecondsDateTimeField(read_only=True, allow_null=True)
    created_at = SecondsDateTimeField(read_only=True)
    updated_at = SecondsDateTimeField(read_only=True)

    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS
        read_only_fields = ["id", "total_purchases_count"]
        # Phone/e-mail uniqueness is the service's rule (with the documented message).
        validators: list = []
        list_serializer_class = FastListSerializer

    def to_internal_value(self, data):
        # First name is required unless 001 §6's `name` stands in for it; reported with the other
        # field errors, not after them.
        errors: dict = {}
        attrs = None
        try:
            attrs = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors = dict(exc.detail)
        if not self.partial and isinstance(data, Mapping) and "first_name" not in data and not data.get("name"):
            errors.setdefault("first_name", [serializers.ErrorDetail(self.error_messages_required, code="required")])
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RetailCustomerPhoneResultSerializer(serializers.ModelSerializer):
    """`search_by_phone`'s `data`: exactly the fields document 000 §5 shows."""

    full_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True, allow_blank=True)  # a customer may have none: ""
    total_purchases = MoneyNumberField(read_only=True)
    loyalty_points = MoneyNumberField(read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "full_name", "phone", "email", "total_purchases", "total_purchases_count", "loyalty_points"]
        read_only_fields = fields


class RetailCustomerPhoneEnvelopeSerializer(serializers.Serializer):
    status = serializers.CharField(default="success")
    data = RetailCustomerPhoneResultSerializer()


class RetailPhoneQuerySerializer(serializers.Serializer):
    """`?phone=`: an E.164 phone; a URL-decoded `+` (a leading space) is put back."""

    phone = serializers.CharField(max_length=32, trim_whitespace=False)

    def validate_phone(self, value):
        raw = value.replace("\x00", "")
        stripped = raw.strip()
        if raw[:1] == " " and stripped[:1].isdigit():
            stripped = "+" + stripped
        tenant = self.context.get("tenant")
        try:
            return normalize_phone(stripped, tenant.phone_region if tenant is not None else None)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class RetailCustomerErrorSerializer(serializers.Serializer):
    """`{"status": "error", "message": ...}` (document 000 "Ошибки")."""

    status = serializers.CharField(default="error")
    message = serializers.CharField()


class RetailCustomerGroupSerializer(serializers.ModelSerializer):
    """A customer group (document 000 "Группы покупателей") with its number of members."""

    discount_percent = PercentField(required=False)
    members_count = serializers.SerializerMethodField()
    created_at = SecondsDateTimeField(read_only=True)
    updated_at = SecondsDateTimeField(read_only=True)

    class Meta:
        model = CustomerGroup
        fields = [
            "id",
            "name",
            "description",
            "discount_percent",
            "is_active",
            "members_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id"]
        # Name uniqueness is the service's rule (with its own message), not DRF's validator.
        validators: list = []

    @extend_schema_field(OpenApiTypes.INT)
    def get_members_count(self, group) -> int:
        annotated = getattr(group, "members_count", None)
        return annotated if annotated is not None else group.members.count()
