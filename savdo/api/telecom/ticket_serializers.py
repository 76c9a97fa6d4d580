"""Document 004 §6 request and response shapes of tickets, their history, comments, statistics and
the store's service levels.

`TicketSerializer` is a ticket as lists show it; other telecom routes that list tickets
(`/api/customers/{id}/tickets/`, `/api/contracts/{id}/tickets/`) render
`savdo.support.selectors.tickets_of_customer/contract` with it.
"""

import re
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.duration import duration_string
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from savdo.api.fields import TenantPrimaryKeyRelatedField
from savdo.core.dates import MAX_QUERY_DATE, MIN_MOMENT_DATE, moment_in_range, query_date_or_none
from savdo.customers.models import Customer
from savdo.support.choices import MAX_TARGET_MINUTES, TicketCategory, TicketPriority, TicketStatus
from savdo.support.models import ServiceLevel, Ticket, TicketComment, TicketHistory
from savdo.telecom.models import Contract

User = get_user_model()

DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
# A date without a time means "by the end of that day" in the store's time zone.
END_OF_DAY = time(23, 59, 59)


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "description": "A date-time (ISO 8601), or a date (YYYY-MM-DD) meaning the end of that day in the store's "
        "time zone; a past one is accepted. Omitted or null: computed from the service level of the priority.",
    }
)
class DueDateField(serializers.DateTimeField):
    """A deadline given as a date or a date-time, from 1970 to 2999 (a naive time is the store's)."""

    default_error_messages = {
        "invalid": _(
            "Enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDThh:mm[:ss][+hh:mm]) from %(min)s to %(max)s."
        ),
    }

    def fail_invalid(self):
        raise serializers.ValidationError(
            self.error_messages["invalid"] % {"min": MIN_MOMENT_DATE.isoformat(), "max": MAX_QUERY_DATE.isoformat()},
            code="invalid",
        )

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail_invalid()
        value = value.strip()
        if DATE_ONLY.fullmatch(value):
            day = query_date_or_none(value)
            if day is None or day < MIN_MOMENT_DATE:
                self.fail_invalid()
            return timezone.make_aware(datetime.combine(day, END_OF_DAY), timezone.get_current_timezone())
        try:
            result = super().to_internal_value(value)
        except (serializers.ValidationError, OverflowError, ValueError):
            self.fail_invalid()
        if not moment_in_range(result):
            self.fail_invalid()
        return result


@extend_schema_field(OpenApiTypes.INT)
class StoreUserField(TenantPrimaryKeyRelatedField):
    """A user id of a member of the request's store (another store's user reads as not found)."""

    def __init__(self, **kwargs):
        super().__init__(User, tenant_field="memberships__tenant", **kwargs)


def label(choices, value: str) -> str:
    """The label of `value` in the active language (the value itself if it is not a choice)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _name(user) -> str | None:
    return user.name if user is not None else None


class TicketHistorySerializer(serializers.ModelSerializer):
    """One status change: who, when, from, to, the comment; `assignee` on assignments."""

    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    actor_name = serializers.SerializerMethodField()
    assignee_name = serializers.SerializerMethodField()

    class Meta:
        model = TicketHistory
        fields = [
            "id",
            "action",
            "from_status",
            "to_status",
            "actor",
            "actor_name",
            "assignee",
            "assignee_name",
            "comment",
            "created_at",
        ]
        read_only_fields = fields

    def get_actor_name(self, row) -> str | None:
        return _name(row.actor)

    def get_assignee_name(self, row) -> str | None:
        return _name(row.assignee)


class TicketCommentSerializer(serializers.ModelSerializer):
    """A comment in (`text`, `is_internal`: an internal note, not a reply) and out."""

    text = serializers.CharField(max_length=20000)
    is_internal = serializers.BooleanField(required=False, default=False)
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = TicketComment
        fields = ["id", "text", "is_internal", "author", "author_name", "created_at"]
        read_only_fields = ["id", "author", "author_name", "created_at"]

    def get_author_name(self, comment) -> str | None:
        return _name(comment.author)


class TicketSerializer(serializers.ModelSerializer):
    """A ticket as lists show it, and the body of create/update (`status` changes only through the
    actions; `due_date` and `assigned_to` are optional)."""

    customer = TenantPrimaryKeyRelatedField(Customer)
    contract = TenantPrimaryKeyRelatedField(Contract, required=False, allow_null=True)
    assigned_to = StoreUserField(required=False, allow_null=True)
    due_date = DueDateField(required=False, allow_null=True)
    description = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    category_display = serializers.SerializerMethodField()
    priority_display = serializers.SerializerMethodField()
    status_display = serializers.SerializerMethodField()
    customer_name = serializers.SerializerMethodField()
    contract_number = serializers.SerializerMethodField()
    assigned_to_name = serializers.SerializerMethodField()
    created_by_name = serializers.SerializerMethodField()
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "subject",
            "description",
            "category",
            "category_display",
            "priority",
            "priority_display",
            "status",
            "status_display",
            "customer",
            "customer_name",
            "contract",
            "contract_number",
            "assigned_to",
            "assigned_to_name",
            "created_by",
            "created_by_name",
            "due_date",
            "due_date_given",
            "first_response_due",
            "first_response_at",
            "is_overdue",
            "assigned_at",
            "started_at",
            "resolved_at",
            "closed_at",
            "resolution",
            "reopen_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "status",
            "created_by",
            "due_date_given",
            "first_response_due",
            "first_response_at",
            "assigned_at",
            "started_at",
            "resolved_at",
            "closed_at",
            "resolution",
            "reopen_count",
            "created_at",
            "updated_at",
        ]

    def validate(self, attrs):
        status = self.initial_data.get("status") if isinstance(self.initial_data, dict) else None
        current = self.instance.status if self.instance is not None else TicketStatus.NEW
        if status is not None and status != current:
            raise serializers.ValidationError(
                {
                    "status": [
                        _("The status changes only through the actions: assign, start_work, resolve, close, reopen.")
                    ]
                }
            )
        return attrs

    # One translation per label: Django's `get_<field>_display` translates every choice on each call.
    def get_category_display(self, ticket) -> str:
        return label(TicketCategory, ticket.category)

    def get_priority_display(self, ticket) -> str:
        return label(TicketPriority, ticket.priority)

    def get_status_display(self, ticket) -> str:
        return label(TicketStatus, ticket.status)

    def get_customer_name(self, ticket) -> str:
        return ticket.customer.full_name

    def get_contract_number(self, ticket) -> str | None:
        return ticket.contract.number if ticket.contract_id else None

    def get_assigned_to_name(self, ticket) -> str | None:
        return _name(ticket.assigned_to)

    def get_created_by_name(self, ticket) -> str | None:
        return _name(ticket.created_by)


class TicketDetailSerializer(TicketSerializer):
    """A ticket with its history (every status change) and its comments."""

    history = TicketHistorySerializer(many=True, read_only=True)
    comments = TicketCommentSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "history", "comments"]


class OverdueTicketSerializer(TicketSerializer):
    """A ticket of `overdue/`: how late it is, in seconds and as a duration (`[DD] HH:MM:SS`)."""

    overdue_seconds = serializers.SerializerMethodField()
    overdue_by = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "overdue_seconds", "overdue_by"]

    def get_overdue_seconds(self, ticket) -> int:
        return int(ticket.overdue_by.total_seconds())

    def get_overdue_by(self, ticket) -> str:
        return duration_string(timedelta(seconds=self.get_overdue_seconds(ticket)))


class TicketActionSerializer(serializers.Serializer):
    """start_work, close, reopen: an optional comment for the history (a reopening's reason)."""

    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class TicketAssignSerializer(TicketActionSerializer):
    """004: `{"user_id": 1}`, an active member of the store who works tickets."""

    user_id = StoreUserField()


class TicketResolveSerializer(serializers.Serializer):
    """004: `{"resolution": "Проблема решена путем..."}`; kept on the ticket and in its history."""

    resolution = serializers.CharField(max_length=20000)


def _counts(name: str, keys: list[str]) -> type[serializers.Serializer]:
    return type(name, (serializers.Serializer,), {key: serializers.IntegerField() for key in keys})


class TicketTargetShareSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    met_percent = serializers.FloatField(allow_null=True)


class TicketServiceLevelShareSerializer(serializers.Serializer):
    first_response = TicketTargetShareSerializer()
    resolution = TicketTargetShareSerializer()


class TicketStatisticsSerializer(serializers.Serializer):
    """`statistics/` (schema only: the selector's dict is rendered as it is)."""

    total = serializers.IntegerField()
    by_status = _counts("TicketStatusCountsSerializer", TicketStatus.values)()
    by_priority = _counts("TicketPriorityCountsSerializer", TicketPriority.values)()
    by_category = _counts("TicketCategoryCountsSerializer", TicketCategory.values)()
    overdue = serializers.IntegerField()
    unassigned = serializers.IntegerField()
    average_first_response_seconds = serializers.IntegerField(allow_null=True)
    average_resolution_seconds = serializers.IntegerField(allow_null=True)
    service_level = TicketServiceLevelShareSerializer()


class TicketServiceLevelSerializer(serializers.ModelSerializer):
    """The store's targets for one priority, in minutes; `is_default`: the store never changed them."""

    priority = serializers.CharField(read_only=True)
    priority_display = serializers.CharField(source="get_priority_display", read_only=True)
    first_response_minutes = serializers.IntegerField(min_value=1, max_value=MAX_TARGET_MINUTES)
    resolution_minutes = serializers.IntegerField(min_value=1, max_value=MAX_TARGET_MINUTES)
    is_default = serializers.BooleanField(read_only=True)

    class Meta:
        model = ServiceLevel
        fields = ["priority", "priority_display", "first_response_minutes", "resolution_minutes", "is_default"]
