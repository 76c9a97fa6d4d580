"""Document 002's client and tag shapes (camelCase).

Request shape and formats only: rules (uniqueness, manager membership, tag linking, statistics
adjustments, deletion) live in `savdo.customers.clients` and `savdo.customers.services`.

Rendering decisions, as the document shows them:
- every client answer carries every field of the document's model table; empty text is `null`;
- money (`totalRevenue`, `averageCheck`) and `discount` are strings with two decimals;
- timestamps are ISO 8601 in UTC with milliseconds (`"2025-01-15T08:30:00.000Z"`), `birthday`
  too (`"1985-05-20T00:00:00.000Z"`);
- `assignedUser` is `{id, name, email}` or null, `tags` is `[{id, name, color}]`.
Rows are rendered by plain functions (`client_body`), not field by field: an export of 200,000
clients renders each row in a few microseconds.
"""

import json
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from savdo.api.fields import MAX_ID, MAX_MONEY
from savdo.core.dates import moment_in_range, moment_message
from savdo.customers.clients import CLIENT_SEGMENTS, CLIENT_STATUSES, shown_status
from savdo.customers.models import Customer, CustomerType, Tag

# Document 002's statuses (a client of another surface in `waiting`/`suspended` reads as
# `potential`/`inactive`).
STATUSES = CLIENT_STATUSES

# camelCase name -> Customer field, for the text fields written as sent.
TEXT_FIELDS = {
    "name": ("display_name", 255),
    "website": ("website", 255),
    "address": ("address", 500),
    "city": ("city", 150),
    "country": ("country", 150),
    "postalCode": ("postal_code", 20),
    "companyName": ("company_name", 255),
    "taxId": ("tax_id", 50),
    "registrationNumber": ("registration_number", 100),
    "legalAddress": ("legal_address", 500),
    "contactPerson": ("contact_person", 255),
    "contactPosition": ("contact_position", 150),
    "source": ("source", 50),
    "notes": ("notes", 10_000),
    "whatsappJid": ("whatsapp_jid", 100),
    "telegramUserId": ("telegram_user_id", 50),
}
# Customer field -> this surface's name (error messages are keyed by the names the client sent).
FIELD_NAMES = {
    **{model: camel for camel, (model, _length) in TEXT_FIELDS.items()},
    "customer_type": "clientType",
    "email": "email",
    "phone": "phone",
    "phone_2": "secondaryPhone",
    "contact_phone": "contactPhone",
    "contact_email": "contactEmail",
    "status": "status",
    "segment": "segment",
    "assigned_to": "assignedUserId",
    "discount_percent": "discount",
    "birthday": "birthday",
    "email_subscribed": "emailSubscribed",
    "sms_subscribed": "smsSubscribed",
    "tags": "tags",
    "total_purchases": "totalRevenue",
    "total_purchases_count": "purchaseCount",
    "last_purchase_at": "lastPurchaseDate",
    "average_check": "averageCheck",
    "__all__": "non_field_errors",
}


def shown_status_of(customer) -> str:
    return shown_status(customer.status)


def iso_utc(value: datetime | None) -> str | None:
    """`2025-01-15T08:30:00.000Z`, as document 002 (and JavaScript's `toISOString`) writes it."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def iso_date(value: date | None) -> str | None:
    """A date as document 002 shows a `birthday`: midnight UTC."""
    return None if value is None else f"{value.isoformat()}T00:00:00.000Z"


def _text(value: str) -> str | None:
    return value or None


def _money(value) -> str:
    return f"{Decimal(value):.2f}"


def manager_body(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.name, "email": user.email or None}


def tags_body(customer) -> list[dict]:
    return [{"id": tag.pk, "name": tag.name, "color": tag.color} for tag in customer.tags.all()]


def client_body(c: Customer, tags: list[dict] | None = None) -> dict:
    """A client as document 002's model table lists it (callers join `assigned_to` and prefetch
    `tags`, or pass the client's tags as `[{id, name, color}]`)."""
    return {
        "id": c.pk,
        "organizationId": c.tenant_id,
        "clientType": c.customer_type,
        "name": c.full_name,
        "email": _text(c.email),
        "phone": _text(c.phone),
        "secondaryPhone": _text(c.phone_2),
        "website": _text(c.website),
        "address": _text(c.address),
        "city": _text(c.city),
        "country": _text(c.country),
        "postalCode": _text(c.postal_code),
        "companyName": _text(c.company_name),
        "taxId": _text(c.tax_id),
        "registrationNumber": _text(c.registration_number),
        "legalAddress": _text(c.legal_address),
        "contactPerson": _text(c.contact_person),
        "contactPosition": _text(c.contact_position),
        "contactPhone": _text(c.contact_phone),
        "contactEmail": _text(c.contact_email),
        "status": shown_status(c.status),
        "source": _text(c.source),
        "segment": _text(c.segment),
        "assignedUserId": c.assigned_to_id,
        "totalRevenue": _money(c.total_purchases),
        "lastPurchaseDate": iso_utc(c.last_purchase_at),
        "purchaseCount": c.total_purchases_count,
        "averageCheck": _money(c.average_check),
        "discount": _money(c.discount_percent),
        "notes": _text(c.notes),
        "birthday": iso_date(c.birthday),
        "whatsappJid": _text(c.whatsapp_jid),
        "telegramUserId": _text(c.telegram_user_id),
        "emailSubscribed": c.email_subscribed,
        "smsSubscribed": c.sms_subscribed,
        "createdAt": iso_utc(c.created_at),
        "updatedAt": iso_utc(c.updated_at),
        "assignedUser": manager_body(c.assigned_to) if c.assigned_to_id else None,
        "tags": tags_body(c) if tags is None else tags,
    }


# --- read shapes (declared for the OpenAPI schema; rendered by `client_body`) ---------------------


class TagBriefSerializer(serializers.ModelSerializer):
    """`{id, name, color}`: a tag as it is shown on a client."""

    class Meta:
        model = Tag
        fields = ["id", "name", "color"]
        read_only_fields = fields


class AssignedUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField(allow_null=True)


class ClientListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        rows = data.all() if hasattr(data, "all") else data
        return [client_body(row) for row in rows]


def _read(field_class, **kwargs):
    return field_class(read_only=True, **kwargs)


class ClientSerializer(serializers.Serializer):
    """A client as document 002 answers it (list, get, create, update, export)."""

    id = _read(serializers.IntegerField)
    organizationId = _read(serializers.IntegerField)
    clientType = _read(serializers.ChoiceField, choices=CustomerType.values)
    name = _read(serializers.CharField)
    email = _read(serializers.CharField, allow_null=True)
    phone = _read(serializers.CharField, allow_null=True)
    secondaryPhone = _read(serializers.CharField, allow_null=True)
    website = _read(serializers.CharField, allow_null=True)
    address = _read(serializers.CharField, allow_null=True)
    city = _read(serializers.CharField, allow_null=True)
    country = _read(serializers.CharField, allow_null=True)
    postalCode = _read(serializers.CharField, allow_null=True)
    companyName = _read(serializers.CharField, allow_null=True)
    taxId = _read(serializers.CharField, allow_null=True)
    registrationNumber = _read(serializers.CharField, allow_null=True)
    legalAddress = _read(serializers.CharField, allow_null=True)
    contactPerson = _read(serializers.CharField, allow_null=True)
    contactPosition = _read(serializers.CharField, allow_null=True)
    contactPhone = _read(serializers.CharField, allow_null=True)
    contactEmail = _read(serializers.CharField, allow_null=True)
    status = _read(serializers.ChoiceField, choices=STATUSES)
    source = _read(serializers.CharField, allow_null=True)
    segment = _read(serializers.ChoiceField, choices=CLIENT_SEGMENTS, allow_null=True)
    assignedUserId = _read(serializers.IntegerField, allow_null=True)
    totalRevenue = _read(serializers.CharField, help_text="Decimal with two places, e.g. 150000.00")
    lastPurchaseDate = _read(serializers.DateTimeField, allow_null=True)
    purchaseCount = _read(serializers.IntegerField)
    averageCheck = _read(serializers.CharField, help_text="totalRevenue / purchaseCount, two places")
    discount = _read(serializers.CharField, help_text="Personal discount, %, two places")
    notes = _read(serializers.CharField, allow_null=True)
    birthday = _read(serializers.DateTimeField, allow_null=True)
    whatsappJid = _read(serializers.CharField, allow_null=True)
    telegramUserId = _read(serializers.CharField, allow_null=True)
    emailSubscribed = _read(serializers.BooleanField)
    smsSubscribed = _read(serializers.BooleanField)
    createdAt = _read(serializers.DateTimeField)
    updatedAt = _read(serializers.DateTimeField)
    assignedUser = AssignedUserSerializer(read_only=True, allow_null=True)
    tags = TagBriefSerializer(many=True, read_only=True)

    class Meta:
        list_serializer_class = ClientListSerializer

    def to_representation(self, instance):
        return client_body(instance)


class ChatClientSerializer(serializers.ModelSerializer):
    """A client as document 002 shows it inside a chat (`organizationClients[]`).

    Callers prefetch `tags` (`prefetch_related("tags")`, or a `Prefetch` of the client rows with
    `tags` prefetched) so that a list of chats costs a constant number of queries.
    """

    name = serializers.CharField(source="full_name", read_only=True)
    clientType = serializers.CharField(source="customer_type", read_only=True)
    segment = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    whatsappJid = serializers.SerializerMethodField()
    telegramUserId = serializers.SerializerMethodField()
    tags = TagBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "clientType", "segment", "status", "whatsappJid", "telegramUserId", "tags"]
        read_only_fields = fields

    def get_segment(self, obj) -> str | None:
        return obj.segment or None

    def get_status(self, obj) -> str:
        return shown_status(obj.status)

    def get_whatsappJid(self, obj) -> str | None:
        return obj.whatsapp_jid or None

    def get_telegramUserId(self, obj) -> str | None:
        return obj.telegram_user_id or None


# --- write shapes ------------------------------------------------------------------------------


class NullableTextField(serializers.CharField):
    """Text that may be sent as null (document 002 sends `"website": null`): stored as empty."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data is None:
            return True, ""
        return super().validate_empty_values(data)


class InternationalPhoneField(NullableTextField):
    """A phone in international form (`+7…`, `+996…`, `+998…`), valid for its own country code
    (`phonenumbers`); stored in E.164. Spaces, dashes and brackets are allowed."""

    default_error_messages = {"invalid_phone": _("Enter a valid international phone number, e.g. +79001234567.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        import phonenumbers

        value = super().to_internal_value(data)
        if value == "":
            return value
        if not value.startswith("+"):
            self.fail("invalid_phone")
        try:
            parsed = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            self.fail("invalid_phone")
        if not phonenumbers.is_valid_number(parsed):
            self.fail("invalid_phone")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class NullableEmailField(serializers.EmailField):
    def __init__(self, **kwargs):
        kwargs.update(required=False, allow_blank=True, allow_null=True, max_length=254)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data is None:
            return True, ""
        return super().validate_empty_values(data)


@extend_schema_field(
    {"oneOf": [{"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}, {"type": "string"}]}
)
class TagRefsField(serializers.Field):
    """Document 002's `tags`: a JSON string of names (`"[\\"VIP\\", \\"постоянный\\"]"`), a list of
    names or tag ids, or a comma-separated string of names. Returns a list of names (str) and ids
    (int); null is an empty list."""

    default_error_messages = {"invalid": _("Send tags as a list of tag names or ids.")}
    MAX_TAGS = 50

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data is None:
            return True, []
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if isinstance(data, str):
            text = data.strip()
            if text.startswith("["):
                try:
                    data = json.loads(text)
                except ValueError:
                    self.fail("invalid")
            else:
                data = [part for part in text.split(",") if part.strip()]
        if not isinstance(data, list) or len(data) > self.MAX_TAGS:
            self.fail("invalid")
        refs: list[str | int] = []
        for item in data:
            if isinstance(item, bool):
                self.fail("invalid")
            if isinstance(item, int):
                if not 1 <= item <= MAX_ID:
                    self.fail("invalid")
                refs.append(item)
            elif isinstance(item, dict) and isinstance(item.get("id"), int) and not isinstance(item["id"], bool):
                refs.append(item["id"])  # a tag as answers show it ({id, name, color})
            elif isinstance(item, str) and item.strip():
                if len(item.strip()) > 100:
                    self.fail("invalid")
                refs.append(item.strip())
            else:
                self.fail("invalid")
        return refs

    def to_representation(self, value):
        return value


class LenientMoneyField(serializers.DecimalField):
    """Money that a front end may compute in floating point (`parseFloat(total) + amount`): a JSON
    number or string, rounded half up to the cent when the extra digits are float noise (within a
    millionth of a cent value). Any other extra precision is a 400."""

    def __init__(self, *, exact: bool = True, **kwargs):
        self.exact = exact
        kwargs.update(max_digits=None, decimal_places=None, min_value=Decimal("0"), max_value=MAX_MONEY)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    default_error_messages = {"precision": _("Ensure that there are no more than 2 decimal places.")}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        try:
            rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            self.fail("invalid")
        if self.exact and abs(value - rounded) > Decimal("0.000001"):
            self.fail("precision")
        return rounded if self.exact else value


@extend_schema_field(
    {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}], "example": "2025-11-30"}
)
class DateOrDateTimeField(serializers.Field):
    """`"2025-11-30"` (midnight in the store's time zone) or an ISO 8601 date-time
    (`"2025-12-01T10:30:00.000Z"`); null clears it."""

    default_error_messages = {"invalid": _("Enter a date (YYYY-MM-DD) or an ISO 8601 date and time.")}

    def __init__(self, *, as_date: bool = False, **kwargs):
        self.as_date = as_date
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip():
            self.fail("invalid")
        text = data.strip()
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                if self.as_date:
                    return day
                moment = timezone.make_aware(datetime.combine(day, time.min))
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail("invalid")
        if self.as_date:
            return moment.date()
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        if not moment_in_range(moment):  # a moment read back in the store's zone (savdo/core/dates.py)
            raise serializers.ValidationError(moment_message(), code="invalid")
        return moment

    def to_representation(self, value):
        return value


class ClientWriteSerializer(serializers.Serializer):
    """A create (POST) or update (PUT/PATCH: only the fields sent) body of document 002.

    `validated_data` holds Customer field names, `tags` (names or ids), `assigned_user_id`, and on
    updates `statistics` ({total_purchases, total_purchases_count, last_purchase_at, average_check}
    as sent), the manual adjustment of document 002's `updateClientRevenue`. Statistics sent with a
    create are ignored: a new client starts at zero and sales move it.
    """

    clientType = serializers.ChoiceField(choices=CustomerType.values, source="customer_type", required=False)
    name = serializers.CharField(source="display_name", max_length=255)
    email = NullableEmailField()
    phone = InternationalPhoneField()
    secondaryPhone = InternationalPhoneField(source="phone_2")
    contactPhone = InternationalPhoneField(source="contact_phone")
    contactEmail = NullableEmailField(source="contact_email")
    status = serializers.ChoiceField(choices=STATUSES, required=False)
    segment = serializers.ChoiceField(choices=CLIENT_SEGMENTS, required=False, allow_null=True)
    assignedUserId = serializers.IntegerField(
        source="assigned_user_id", required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    discount = serializers.DecimalField(
        source="discount_percent",
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=False,
    )
    birthday = DateOrDateTimeField(as_date=True)
    emailSubscribed = serializers.BooleanField(source="email_subscribed", required=False)
    smsSubscribed = serializers.BooleanField(source="sms_subscribed", required=False)
    tags = TagRefsField()
    # The manual statistics adjustment (updates only).
    totalRevenue = LenientMoneyField(source="total_purchases")
    purchaseCount = serializers.IntegerField(
        source="total_purchases_count", required=False, min_value=0, max_value=2_147_483_647
    )
    lastPurchaseDate = DateOrDateTimeField(source="last_purchase_at")
    averageCheck = LenientMoneyField(source="average_check", exact=False)

    STATISTICS = ("total_purchases", "total_purchases_count", "last_purchase_at", "average_check")

    def get_fields(self):
        fields = super().get_fields()
        for camel, (model_name, length) in TEXT_FIELDS.items():
            if camel != "name":
                source = {"source": model_name} if model_name != camel else {}
                fields[camel] = NullableTextField(max_length=length, **source)
        return fields

    def validate(self, attrs):
        if "segment" in attrs and attrs["segment"] is None:
            attrs["segment"] = ""
        if attrs.get("display_name") is not None and not attrs["display_name"].strip():
            raise serializers.ValidationError({"name": [serializers.CharField.default_error_messages["blank"]]})
        statistics = {name: attrs.pop(name) for name in self.STATISTICS if name in attrs}
        if statistics and self.instance is not None:
            attrs["statistics"] = statistics
        return attrs


class ClientImportSerializer(serializers.Serializer):
    """`{clients: [...]}`: each row is checked on its own (a bad row fails alone), so rows are
    kept as sent here."""

    clients = serializers.ListField(child=serializers.JSONField(), allow_empty=True)


class ImportErrorSerializer(serializers.Serializer):
    client = serializers.JSONField()
    error = serializers.CharField()


class ImportResultsSerializer(serializers.Serializer):
    success = serializers.IntegerField()
    failed = serializers.IntegerField()
    errors = ImportErrorSerializer(many=True)


class ImportAnswerSerializer(serializers.Serializer):
    message = serializers.CharField()
    results = ImportResultsSerializer()


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class TopClientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField(allow_null=True)
    totalRevenue = serializers.CharField()
    segment = serializers.CharField(allow_null=True)


class SegmentCountSerializer(serializers.Serializer):
    segment = serializers.CharField()
    count = serializers.IntegerField()


@extend_schema_field(OpenApiTypes.OBJECT)
class _CountsField(serializers.DictField):
    pass


class RevenueSerializer(serializers.Serializer):
    total = serializers.FloatField()
    average = serializers.FloatField()


class ClientStatsSerializer(serializers.Serializer):
    """Document 002's statistics; revenue figures are JSON numbers, as the document shows."""

    total = serializers.IntegerField()
    byStatus = _CountsField(child=serializers.IntegerField())
    byType = _CountsField(child=serializers.IntegerField())
    revenue = RevenueSerializer()
    topClients = TopClientSerializer(many=True)
    segmentDistribution = SegmentCountSerializer(many=True)

    def to_representation(self, stats):
        return {
            "total": stats["total"],
            "byStatus": stats["by_status"],
            "byType": stats["by_type"],
            "revenue": {"total": float(stats["revenue_total"]), "average": float(stats["revenue_average"])},
            "topClients": [
                {
                    "id": c.pk,
                    "name": c.full_name,
                    "email": c.email or None,
                    "totalRevenue": _money(c.total_purchases),
                    "segment": c.segment or None,
                }
                for c in stats["top_clients"]
            ],
            "segmentDistribution": [{"segment": s, "count": n} for s, n in stats["segments"]],
        }


# --- tags --------------------------------------------------------------------------------------


class TagSerializer(serializers.ModelSerializer):
    """A tag of the clients surface: `{id, name, color, usageCount, createdAt, updatedAt}`."""

    name = serializers.CharField(max_length=100)
    color = serializers.RegexField(
        r"^#[0-9A-Fa-f]{6}$",
        required=False,
        error_messages={"invalid": _("Enter a colour as #RRGGBB.")},
    )
    usageCount = serializers.SerializerMethodField()
    createdAt = serializers.SerializerMethodField()
    updatedAt = serializers.SerializerMethodField()

    class Meta:
        model = Tag
        fields = ["id", "name", "color", "usageCount", "createdAt", "updatedAt"]
        validators: list = []  # the unique name is the service's rule, with its message

    def get_usageCount(self, tag) -> int:
        count = getattr(tag, "usage_count", None)
        return count if count is not None else tag.customers.count()

    def get_createdAt(self, tag) -> str:
        return iso_utc(tag.created_at)

    def get_updatedAt(self, tag) -> str:
        return iso_utc(tag.updated_at)
