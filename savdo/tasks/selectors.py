"""Reads of the tasks domain: what a member may see, today's and overdue tasks, statistics."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from savdo.accounts.models import User
from savdo.tasks.choices import OPEN_STATUSES, PRIORITY_RANK, TaskPriority, TaskStatus
from savdo.tasks.models import Task, TaskComment, TaskHistory, TaskTemplate
from savdo.tenancy.models import Membership
from savdo.tenancy.roles import MANAGERS


def _visibility(membership: Membership) -> Q:
    """Managers and above see every task of the tenant; cashiers and agents theirs."""
    if membership.role in MANAGERS:
        return Q()
    return Q(assigned_to_id=membership.user_id) | Q(created_by_id=membership.user_id)


def task_visible(*, membership: Membership) -> QuerySet[Task]:
    """The tasks of the member's tenant the member may see, with what a task row renders."""
    return (
        Task.objects.for_tenant(membership.tenant_id)
        .filter(_visibility(membership))
        .select_related("assigned_to", "created_by")
        .annotate(
            priority_rank=Case(
                *[When(priority=value, then=Value(rank)) for value, rank in PRIORITY_RANK.items()],
                output_field=IntegerField(),
            )
        )
        .order_by("-created_at", "-id")
    )


def task_list(*, tenant, membership: Membership) -> QuerySet[Task]:
    """The API's task list: the tasks of `tenant` the member may see (`task_visible`)."""
    return task_visible(membership=membership)


def task_with_history(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """Prefetch each task's history (one more query whatever the number of tasks)."""
    return queryset.prefetch_related(
        Prefetch("history", queryset=TaskHistory.objects.select_related("actor").order_by("created_at", "id"))
    )


def task_mine_open(*, membership: Membership) -> QuerySet[Task]:
    """Open tasks (pending, in progress, on review) assigned to the member."""
    return task_visible(membership=membership).filter(assigned_to_id=membership.user_id, status__in=OPEN_STATUSES)


def tenant_day_bounds(*, time_zone: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of the tenant's current local day, as aware datetimes.

    A zone name the system does not know falls back to the project's TIME_ZONE.
    """
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    local_now = (now or timezone.now()).astimezone(zone)
    start = datetime.combine(local_now.date(), time.min, tzinfo=zone)
    end = datetime.combine(local_now.date() + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def task_due_today(*, membership: Membership, now: datetime | None = None) -> QuerySet[Task]:
    """Tasks due on the tenant's current local date, whatever their status, earliest first."""
    start, end = tenant_day_bounds(time_zone=membership.tenant.time_zone, now=now)
    return task_visible(membership=membership).filter(due_date__gte=start, due_date__lt=end).order_by("due_date", "id")


def _overdue_q(now: datetime) -> Q:
    return Q(due_date__lt=now, status__in=OPEN_STATUSES)


def task_overdue(*, membership: Membership, now: datetime | None = None) -> QuerySet[Task]:
    """Tasks whose due date has passed and that are neither completed nor cancelled, oldest first."""
    return task_visible(membership=membership).filter(_overdue_q(now or timezone.now())).order_by("due_date", "id")


def task_stats(*, queryset: QuerySet[Task], now: datetime | None = None) -> dict:
    """001 §5.1 statistics of `queryset` in one aggregate query.

    Every status and priority is a key, with 0 when no task has it (`on_review` included).
    """
    now = now or timezone.now()
    aggregates = {"total": Count("id"), "overdue": Count("id", filter=_overdue_q(now))}
    aggregates |= {f"status__{value}": Count("id", filter=Q(status=value)) for value in TaskStatus.values}
    aggregates |= {f"priority__{value}": Count("id", filter=Q(priority=value)) for value in TaskPriority.values}
    row = queryset.order_by().aggregate(**aggregates)
    return {
        "total": row["total"],
        "by_status": {value: row[f"status__{value}"] for value in TaskStatus.values},
        "by_priority": {value: row[f"priority__{value}"] for value in TaskPriority.values},
        "overdue": row["overdue"],
    }


def task_comment_visible(*, membership: Membership) -> QuerySet[TaskComment]:
    """Comments on the tasks the member may see, oldest first."""
    tasks = Task.objects.for_tenant(membership.tenant_id).filter(_visibility(membership))
    return (
        TaskComment.objects.for_tenant(membership.tenant_id)
        .filter(task__in=tasks.values("id"))
        .select_related("author")
        .order_by("created_at", "id")
    )


def task_comment_list(*, tenant, membership: Membership) -> QuerySet[TaskComment]:
    """The API's comment list: comments of `tenant` on the tasks the member may see."""
    return task_comment_visible(membership=membership)


def task_template_list(*, tenant) -> QuerySet[TaskTemplate]:
    return TaskTemplate.objects.for_tenant(tenant).select_related("created_by").order_by("title", "id")


def task_assignable_users(*, tenant) -> QuerySet[User]:
    """Users a task of `tenant` may be assigned to: its active members."""
    return User.objects.filter(memberships__tenant=tenant, memberships__is_active=True).order_by(
        "first_name", "last_name", "username", "id"
    )


def task_assignable_members(*, tenant) -> QuerySet[Membership]:
    """The tenant's active memberships with their users (who a manager can hand work to)."""
    return (
        Membership.objects.filter(tenant=tenant, is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username", "id")
    )
