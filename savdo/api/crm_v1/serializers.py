"""Document 003's shapes: customers, deals, activities, and the analytics query parameters.

Request shape and formats only; the rules live in `savdo.customers.services` and
`savdo.crm.services`, which the kernel hands the validated data to.

Types as 003 shows them: ids and counts are JSON integers, a deal's `value` a JSON number, a
customer's `value` a string (003's `VARCHAR(50)`, kept as written), timestamps ISO 8601 with
milliseconds in the store's time zone (`2025-03-14T09:30:00.000+05:00`).
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from savdo.api.fastlists import FastListSerializer
from savdo.api.fields import TenantPrimaryKeyRelatedField, money_field
from savdo.core.dates import QueryDateField
from savdo.crm.choices import ActivityType, DealStatus, SalesPeriod
from savdo.customers.models import Customer, CustomerStatus

# Document 003's customer statuses; a customer may hold another (set through another surface).
CRM_CUSTOMER_STATUSES = [CustomerStatus.ACTIVE, CustomerStatus.POTENTIAL, CustomerStatus.WAITING]


class TimestampField(serializers.DateTimeField):
    """ISO 8601 to the millisecond in the current (store's) time zone."""

    def to_representation(self, value):
        if value is None:
            return None
        return timezone.localtime(value).isoformat(timespec="milliseconds")


class NameField(serializers.CharField):
    """003's `name`: written as the customer's display name, read as the name every surface shows."""

    def get_attribute(self, instance):
        return instance.full_name


class CustomerStatusField(serializers.ChoiceField):
    """`active`, `potential` or `waiting`. A customer holding another status (blocked through another
    surface, say) may be saved back with it unchanged; it shows as it is."""

    def __init__(self, **kwargs):
        super().__init__(choices=CRM_CUSTOMER_STATUSES, **kwargs)

    def to_internal_value(self, data):
        instance = getattr(self.parent, "instance", None)
        if instance is not None and isinstance(data, str) and data == instance.status:
            return data
        return super().to_internal_value(data)


class NullAsBlankCharField(serializers.CharField):
    """A text field where `null` means "empty" (forms send either)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return "" if data is None else super().to_internal_value(data)

    def validate_empty_values(self, data):
        if data is None:
            return True, ""
        return super().validate_empty_values(data)


class CrmCustomerSerializer(serializers.Serializer):
    """003 customer: `name`, `email` (required: 003's `NOT NULL UNIQUE`, unique per store), `phone`,
    `company` (the company name), `status` (`potential` unless given), `value` (a free-form
    expected value, kept as written)."""

    id = serializers.IntegerField(read_only=True)
    name = NameField(source="display_name", max_length=255)
    email = serializers.EmailField(max_length=254, allow_blank=True)
    phone = NullAsBlankCharField(max_length=50)
    company = NullAsBlankCharField(source="company_name", max_length=255)
    status = CustomerStatusField(default=CustomerStatus.POTENTIAL)
    value = NullAsBlankCharField(source="deal_value", max_length=50)
    createdAt = TimestampField(source="created_at", read_only=True)
    updatedAt = TimestampField(source="updated_at", read_only=True)

    class Meta:
        list_serializer_class = FastListSerializer

    def validate_email(self, value: str) -> str:
        # A customer made on another surface may have no e-mail; a form that loaded it sends the
        # blank back, which saves it unchanged. A new or an e-mailed customer needs one.
        if not value and (self.instance is None or self.instance.email):
            raise serializers.ValidationError(self.fields["email"].error_messages["blank"])
        return value


class DealCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = NameField(read_only=True)
    company = serializers.CharField(source="company_name", read_only=True)


class ActivityCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = NameField(read_only=True)


class CrmDealSerializer(serializers.Serializer):
    """003 deal: `title`, `description`, `value` (a number, not negative; 0 unless given), `status`
    (`new` unless given), `customerId` (a customer of the store), with the customer embedded."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=255)
    description = NullAsBlankCharField()
    value = money_field(as_string=False, required=False, min_value=0)
    status = serializers.ChoiceField(choices=DealStatus.choices, required=False)
    customerId = TenantPrimaryKeyRelatedField(Customer, source="customer")
    customer = DealCustomerSerializer(read_only=True)
    createdAt = TimestampField(source="created_at", read_only=True)
    updatedAt = TimestampField(source="updated_at", read_only=True)

    class Meta:
        list_serializer_class = FastListSerializer


class CrmActivitySerializer(serializers.Serializer):
    """003 activity: `type`, `description` (required), `customerId` (a customer of the store), with
    the customer embedded."""

    id = serializers.IntegerField(read_only=True)
    type = serializers.ChoiceField(choices=ActivityType.choices)
    description = serializers.CharField()
    customerId = TenantPrimaryKeyRelatedField(Customer, source="customer")
    customer = ActivityCustomerSerializer(read_only=True)
    createdAt = TimestampField(source="created_at", read_only=True)

    class Meta:
        list_serializer_class = FastListSerializer


class SalesQuerySerializer(serializers.Serializer):
    """`GET /analytics/sales` parameters: local dates `YYYY-MM-DD` and a period."""

    startDate = QueryDateField(required=False)
    endDate = QueryDateField(required=False)
    period = serializers.ChoiceField(choices=SalesPeriod.choices, default=SalesPeriod.MONTHLY)

    def validate(self, attrs):
        start, end = attrs.get("startDate"), attrs.get("endDate")
        if start and end and end < start:
            raise serializers.ValidationError({"endDate": [_("The end date cannot be before the start date.")]})
        return attrs


class DashboardSerializer(serializers.Serializer):
    """The dashboard's figures (for the schema; the view renders the selector's answer)."""

    totalCustomers = serializers.IntegerField()
    monthlySales = serializers.FloatField()
    activeDeals = serializers.IntegerField()
    conversionRate = serializers.FloatField()
    customersByStatus = serializers.DictField(child=serializers.IntegerField())
    salesTrend = serializers.ListField(child=serializers.DictField())


class SalesSerializer(serializers.Serializer):
    totalSales = serializers.FloatField()
    salesByPeriod = serializers.ListField(child=serializers.DictField())
    topCustomers = serializers.ListField(child=serializers.DictField())
