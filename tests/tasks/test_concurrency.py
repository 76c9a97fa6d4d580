"""Concurrent actions on one task apply one after the other (row lock): exactly one wins."""

import pytest
from django.db import connection

from savdo.tasks import services
from savdo.tasks.models import Task, TaskHistory
from savdo.tenancy.models import Role
from tests.factories import MembershipFactory, TenantFactory
from tests.threads import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_approve_and_reject_at_once_one_wins():
    tenant = TenantFactory()
    owner = MembershipFactory(tenant=tenant, role=Role.OWNER)
    manager = MembershipFactory(tenant=tenant, role=Role.MANAGER)
    cashier = MembershipFactory(tenant=tenant, role=Role.CASHIER)
    for _ in range(5):
        task = services.task_create(actor=manager, title="x", assigned_to=cashier.user)
        services.task_start(task=task, actor=cashier)
        services.task_submit_for_review(task=task, actor=cashier)
        results = race(
            lambda t=task: services.task_approve(task=t, actor=owner),
            lambda t=task: services.task_reject(task=t, actor=manager, comment="again"),
        )
        failures = [r for r in results if isinstance(r, Exception)]
        assert len(failures) == 1 and isinstance(failures[0], services.TaskTransitionRefused), results
        task.refresh_from_db()
        rows = list(TaskHistory.objects.filter(task=task).order_by("id").values_list("from_status", "to_status"))
        assert len(rows) == 4
        assert rows[-1] == ("on_review", task.status)
        assert Task.objects.get(pk=task.pk).status in ("completed", "in_progress")
