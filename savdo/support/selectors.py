"""Reads of the support domain: ticket lists, the overdue queue, statistics, service levels.

Every list selector returns a queryset with the related rows a ticket's representation reads
(customer, contract, assignee, creator) joined in, so a page costs the same queries whatever its size.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connections
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from savdo.core import versions
from savdo.support.choices import (
    DEFAULT_SERVICE_LEVELS,
    OPEN_STATUSES,
    PRIORITY_RANK,
    TicketCategory,
    TicketPriority,
    TicketStatus,
)
from savdo.support.models import ServiceLevel, Ticket, TicketComment, TicketHistory
from savdo.tenancy.models import Membership
from savdo.tenancy.roles import SUPPORT_STAFF

User = get_user_model()

OPEN = sorted(str(status) for status in OPEN_STATUSES)


# --- service levels -------------------------------------------------------------------------------


def service_level_rows(*, tenant) -> list[ServiceLevel]:
    """The store's service level for every priority, most urgent first: its own rows, and for the
    priorities it never set an unsaved row with the defaults (`is_default` tells which)."""
    own = {row.priority: row for row in ServiceLevel.objects.for_tenant(tenant)}
    rows = []
    for priority in sorted(TicketPriority.values, key=lambda value: -PRIORITY_RANK[value]):
        row = own.get(priority)
        if row is None:
            first_response, resolution = DEFAULT_SERVICE_LEVELS[priority]
            row = ServiceLevel(
                tenant=tenant, priority=priority, first_response_minutes=first_response, resolution_minutes=resolution
            )
        row.is_default = row.pk is None
        rows.append(row)
    return rows


def service_level_of(*, tenant, priority: str) -> ServiceLevel:
    """The store's service level for one priority (an unsaved row with the defaults if it set none)."""
    return next(row for row in service_level_rows(tenant=tenant) if row.priority == priority)


def ticket_deadlines(*, tenant, priority: str, opened_at: datetime) -> tuple[datetime, datetime]:
    """(first response due, resolution due) of a ticket of `priority` opened at `opened_at`, from the
    store's targets (round the clock)."""
    level = service_level_of(tenant=tenant, priority=priority)
    return (
        opened_at + timedelta(minutes=level.first_response_minutes),
        opened_at + timedelta(minutes=level.resolution_minutes),
    )


# --- tickets ----------------------------------------------------------------------------------------


def _priority_rank() -> Case:
    return Case(
        *(When(priority=priority, then=Value(rank)) for priority, rank in PRIORITY_RANK.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def ticket_list(*, tenant) -> QuerySet[Ticket]:
    """The store's tickets, newest first, with what their representation reads joined in and
    `priority_rank` (1 low .. 4 critical) for ordering by urgency."""
    return (
        Ticket.objects.for_tenant(tenant)
        .select_related("customer", "contract", "assigned_to", "created_by")
        .annotate(priority_rank=_priority_rank())
        .order_by("-created_at", "-id")
    )


def ticket_with_details(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`queryset` with each ticket's history and comments (and their people) prefetched."""
    return queryset.prefetch_related(
        Prefetch(
            "history", queryset=TicketHistory.objects.select_related("actor", "assignee").order_by("created_at", "id")
        ),
        Prefetch("comments", queryset=TicketComment.objects.select_related("author").order_by("created_at", "id")),
    )


def ticket_mine(*, tenant, user) -> QuerySet[Ticket]:
    """Tickets assigned to `user` in the store, every status (filters narrow them)."""
    return ticket_list(tenant=tenant).filter(assigned_to=user)


def ticket_unassigned(*, tenant) -> QuerySet[Ticket]:
    """Open tickets nobody has taken yet, oldest deadline first."""
    return ticket_list(tenant=tenant).filter(assigned_to__isnull=True, status__in=OPEN).order_by("due_date", "id")


def overdue_condition(now: datetime) -> Q:
    """A ticket not resolved or closed whose resolution deadline has passed at `now`."""
    return Q(status__in=OPEN, due_date__lt=now)


def ticket_overdue(*, tenant, now: datetime | None = None) -> QuerySet[Ticket]:
    """Overdue tickets, the latest first, each with `overdue_by` (how late it is at `now`, a
    timedelta the database computes)."""
    now = now or timezone.now()
    return (
        ticket_list(tenant=tenant)
        .filter(overdue_condition(now))
        .annotate(
            overdue_by=ExpressionWrapper(
                Value(now, output_field=DateTimeField()) - F("due_date"), output_field=DurationField()
            )
        )
        .order_by("due_date", "id")
    )


def tickets_of_customer(*, tenant, customer) -> QuerySet[Ticket]:
    """A customer's tickets in the store, newest first (004 `GET /api/customers/{id}/tickets/`)."""
    return ticket_list(tenant=tenant).filter(customer=customer)


def tickets_of_contract(*, tenant, contract) -> QuerySet[Ticket]:
    """A contract's tickets in the store, newest first (004 `GET /api/contracts/{id}/tickets/`)."""
    return ticket_list(tenant=tenant).filter(contract=contract)


def ticket_assignable_users(*, tenant) -> QuerySet:
    """Users a ticket of the store may be assigned to: active members in a support role."""
    return User.objects.filter(
        pk__in=Membership.objects.filter(tenant=tenant, is_active=True, role__in=SUPPORT_STAFF).values("user_id")
    )


def _duration(end: str, start: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def _share(met: int, breached: int) -> dict:
    measured = met + breached
    return {
        "met": met,
        "breached": breached,
        "met_percent": round(100 * met / measured, 1) if measured else None,
    }


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else round(value.total_seconds())


# Statistics are two queries. What is decided whatever the clock says (counts, the times of the
# responses and resolutions given, the targets they met or missed) is one aggregate over every ticket,
# cached under the store's ticket data version; what depends on "now" (overdue, still waiting past a
# deadline) is one over the open tickets only, which the partial index `ticket_open_due_idx` finds.
STATISTICS_TIMEOUT = 3600


def _decided_aggregates() -> dict:
    responded = Q(first_response_at__isnull=False)
    resolved = Q(resolved_at__isnull=False)
    aggregates = {
        "total": Count("id"),
        "first_response_sum": Sum(_duration("first_response_at", "created_at"), filter=responded),
        "first_response_count": Count("first_response_at"),
        "resolution_sum": Sum(_duration("resolved_at", "created_at"), filter=resolved),
        "resolution_count": Count("resolved_at"),
        "first_response_met": Count("id", filter=Q(first_response_at__lte=F("first_response_due"))),
        "first_response_late": Count("id", filter=Q(first_response_at__gt=F("first_response_due"))),
        "resolution_met": Count("id", filter=Q(resolved_at__lte=F("due_date"))),
        "resolution_late": Count("id", filter=Q(resolved_at__gt=F("due_date"))),
    }
    for name, values in (("status", TicketStatus.values), ("priority", TicketPriority.values)):
        for value in values:
            aggregates[f"{name}__{value}"] = Count("id", filter=Q(**{name: value}))
    for value in TicketCategory.values:
        aggregates[f"category__{value}"] = Count("id", filter=Q(category=value))
    return aggregates


def _decided(queryset: QuerySet[Ticket], tenant_id) -> dict:
    """The clock-independent aggregate of `queryset`, from the cache while no ticket of the store
    changed (the key holds the store's ticket data version and the query itself, so every filter
    has its own entry); computed, and stored, otherwise."""
    query = queryset.order_by()
    scope = getattr(Ticket, "count_scope", None)
    if tenant_id is None or not settings.SAVDO_CACHED_COUNTS or versions.in_transaction(connections[query.db]):
        return query.aggregate(**_decided_aggregates())
    found = versions.current([versions.key("data", scope, tenant_id)], using=query.db)
    sql, params = query.values_list("pk").query.sql_with_params()
    key = f"ticketstats:{tenant_id}:{found[0]}:{versions.digest((query.db, sql, params))}"
    row = cache.get(key)
    if row is None:
        row = query.aggregate(**_decided_aggregates())
        cache.set(key, row, STATISTICS_TIMEOUT)
    return row


def _pending(queryset: QuerySet[Ticket], now: datetime) -> dict:
    """The clock-dependent counts, over the open tickets of `queryset`."""
    return (
        queryset.order_by()
        .filter(status__in=OPEN)
        .aggregate(
            overdue=Count("id", filter=Q(due_date__lt=now)),
            unassigned=Count("id", filter=Q(assigned_to__isnull=True)),
            first_response_waiting_late=Count(
                "id", filter=Q(first_response_at__isnull=True, first_response_due__lt=now)
            ),
        )
    )


def _average(total: timedelta | None, count: int) -> int | None:
    return round(total.total_seconds() / count) if total is not None and count else None


def ticket_statistics(queryset: QuerySet[Ticket], *, now: datetime | None = None, tenant_id=None) -> dict:
    """Counts by status, priority and category, the overdue and unassigned counts, the average time
    to first response and to resolution, and how many tickets met each target; two queries (the
    first from the cache when `tenant_id` is given and nothing changed, see above).

    A target is measured once it is decided: met when the response (resolution) came by its
    deadline, breached when it came late or an open ticket's deadline passed without it. Tickets
    whose deadline is still ahead count in neither.
    """
    now = now or timezone.now()
    decided = _decided(queryset, tenant_id)
    pending = _pending(queryset, now)
    return {
        "total": decided["total"],
        "by_status": {value: decided[f"status__{value}"] for value in TicketStatus.values},
        "by_priority": {value: decided[f"priority__{value}"] for value in TicketPriority.values},
        "by_category": {value: decided[f"category__{value}"] for value in TicketCategory.values},
        "overdue": pending["overdue"],
        "unassigned": pending["unassigned"],
        "average_first_response_seconds": _average(decided["first_response_sum"], decided["first_response_count"]),
        "average_resolution_seconds": _average(decided["resolution_sum"], decided["resolution_count"]),
        "service_level": {
            "first_response": _share(
                decided["first_response_met"],
                decided["first_response_late"] + pending["first_response_waiting_late"],
            ),
            # An open ticket past its due date is an overdue one.
            "resolution": _share(decided["resolution_met"], decided["resolution_late"] + pending["overdue"]),
        },
    }
