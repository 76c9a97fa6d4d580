from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from savdo.tasks import selectors
from savdo.tasks.choices import TaskStatus
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.tasks.factories import TaskFactory


def test_today_uses_the_tenants_local_date(tenant):
    manager = Member(tenant, Role.MANAGER)
    # 2025-01-20 21:30 UTC is already 2025-01-21 02:30 in Tashkent (UTC+5).
    now = datetime(2025, 1, 20, 21, 30, tzinfo=UTC)
    local_day_start = datetime(2025, 1, 20, 19, 0, tzinfo=UTC)  # 2025-01-21 00:00 Tashkent
    inside = [
        TaskFactory(tenant=tenant, due_date=local_day_start),
        TaskFactory(tenant=tenant, due_date=local_day_start + timedelta(hours=23, minutes=59)),
        TaskFactory(tenant=tenant, due_date=local_day_start + timedelta(hours=5), status=TaskStatus.COMPLETED),
    ]
    TaskFactory(tenant=tenant, due_date=local_day_start - timedelta(seconds=1))  # yesterday there
    TaskFactory(tenant=tenant, due_date=local_day_start + timedelta(days=1))  # tomorrow there
    TaskFactory(tenant=tenant, due_date=None)
    got = list(selectors.task_due_today(membership=manager.membership, now=now))
    assert got == sorted(inside, key=lambda t: t.due_date)

    tenant.time_zone = "UTC"
    tenant.save()
    manager.membership.tenant.refresh_from_db()
    utc_today = selectors.task_due_today(membership=manager.membership, now=now)
    assert {t.due_date.date() for t in utc_today} == {datetime(2025, 1, 20).date()}


def test_overdue_is_open_tasks_past_due(tenant):
    manager = Member(tenant, Role.MANAGER)
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    past = now - timedelta(hours=1)
    overdue = [TaskFactory(tenant=tenant, due_date=past, status=s) for s in ("pending", "in_progress", "on_review")]
    TaskFactory(tenant=tenant, due_date=past, status=TaskStatus.COMPLETED)
    TaskFactory(tenant=tenant, due_date=past, status=TaskStatus.CANCELLED)
    TaskFactory(tenant=tenant, due_date=now + timedelta(minutes=1))
    TaskFactory(tenant=tenant, due_date=None)
    assert set(selectors.task_overdue(membership=manager.membership, now=now)) == set(overdue)


def test_cashier_sees_assigned_or_created_tasks(tenant, other_tenant):
    cashier = Member(tenant, Role.CASHIER)
    manager = Member(tenant, Role.MANAGER)
    mine = TaskFactory(tenant=tenant, assigned_to=cashier.user)
    made = TaskFactory(tenant=tenant, created_by=cashier.user)
    others = TaskFactory(tenant=tenant, assigned_to=manager.user)
    TaskFactory(tenant=other_tenant, assigned_to=cashier.user)  # another store's, even if "theirs"
    assert set(selectors.task_visible(membership=cashier.membership)) == {mine, made}
    assert set(selectors.task_visible(membership=manager.membership)) == {mine, made, others}
    assert list(selectors.task_mine_open(membership=cashier.membership)) == [mine]


def test_stats_counts_every_status_and_priority_in_one_query(tenant, other_tenant):
    manager = Member(tenant, Role.MANAGER)
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    TaskFactory(tenant=tenant, status="pending", priority="low", due_date=now - timedelta(days=1))
    TaskFactory(tenant=tenant, status="on_review", priority="urgent", due_date=now - timedelta(days=1))
    TaskFactory(tenant=tenant, status="completed", priority="urgent", due_date=now - timedelta(days=1))
    TaskFactory(tenant=tenant, status="in_progress", priority="high")
    TaskFactory(tenant=other_tenant, status="pending", priority="low", due_date=now - timedelta(days=1))
    queryset = selectors.task_visible(membership=manager.membership)
    with CaptureQueriesContext(connection) as queries:
        stats = selectors.task_stats(queryset=queryset, now=now)
    assert len(queries) == 1
    assert stats == {
        "total": 4,
        "by_status": {"pending": 1, "in_progress": 1, "on_review": 1, "completed": 1, "cancelled": 0},
        "by_priority": {"low": 1, "medium": 0, "high": 1, "urgent": 2},
        "overdue": 2,
    }


def test_stats_of_nothing_has_every_key(tenant):
    manager = Member(tenant, Role.MANAGER)
    stats = selectors.task_stats(queryset=selectors.task_visible(membership=manager.membership))
    assert stats == {
        "total": 0,
        "by_status": dict.fromkeys(TaskStatus.values, 0),
        "by_priority": {"low": 0, "medium": 0, "high": 0, "urgent": 0},
        "overdue": 0,
    }


def test_unknown_time_zone_falls_back_to_project_zone():
    now = datetime(2025, 1, 20, 21, 30, tzinfo=UTC)
    assert selectors.tenant_day_bounds(time_zone="Mars/Olympus", now=now) == selectors.tenant_day_bounds(
        time_zone="Asia/Tashkent", now=now
    )
