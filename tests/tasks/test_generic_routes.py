"""The generic endpoint checks (tests/generic.py) on the task routes the other checks classes do not
reach: the assignee's commands (start, submit-for-review, complete) and `stats/`."""

import pytest

from savdo.tasks.models import Task, TaskHistory
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.factories import MembershipFactory
from tests.generic import EndpointChecks
from tests.tasks.factories import TaskFactory

TASKS = "/api/tasks/tasks/"
ASSIGNEE_COMMANDS = [
    ("post", TASKS + "{pk}/start/"),
    ("post", TASKS + "{pk}/submit-for-review/"),
    ("post", TASKS + "{pk}/complete/"),
]


def assigned_task(tenant, **fields) -> Task:
    """A pending task a manager gave to an agent."""
    fields.setdefault("assigned_to", MembershipFactory(tenant=tenant, role=Role.AGENT).user)
    fields.setdefault("created_by", MembershipFactory(tenant=tenant, role=Role.MANAGER).user)
    return TaskFactory(tenant=tenant, **fields)


def _tasks_state():
    return list(Task.objects.order_by("pk").values()), list(TaskHistory.objects.order_by("pk").values())


class TestAssigneeCommands(EndpointChecks):
    model = Task
    commands = ASSIGNEE_COMMANDS

    def make_object(self, tenant):
        return assigned_task(tenant)

    def _snapshot(self):
        return _tasks_state()

    def test_forbidden_roles_are_403(self, tenant):
        pytest.skip(
            "no role is refused these commands: the rule is whose task it is (the assignee's, or any "
            "manager's); see the two tests below"
        )

    @pytest.mark.parametrize("role", [Role.CASHIER, Role.AGENT])
    def test_a_task_of_someone_else_is_404_and_unchanged(self, tenant, role):
        """A cashier or agent does not see a task neither given to them nor made by them."""
        task = assigned_task(tenant)
        member = Member(tenant, role)
        before = _tasks_state()
        for method, template in ASSIGNEE_COMMANDS:
            response = getattr(member.client, method)(template.format(pk=task.pk), {}, format="json")
            assert response.status_code == 404, (template, response.status_code, response.content[:200])
        assert _tasks_state() == before

    def test_a_visible_task_given_to_someone_else_is_403_and_unchanged(self, tenant):
        """A cashier who made a task (as a manager, since demoted) sees it but may not act on it."""
        maker = Member(tenant, Role.CASHIER)
        task = assigned_task(tenant, created_by=maker.user)
        sources = ["pending", "in_progress", "in_progress"]  # where each command may start from
        for status, (method, template) in zip(sources, ASSIGNEE_COMMANDS, strict=True):
            Task.objects.filter(pk=task.pk).update(status=status)
            before = _tasks_state()
            response = getattr(maker.client, method)(template.format(pk=task.pk), {}, format="json")
            assert response.status_code == 403, (template, response.status_code, response.content[:200])
            assert _tasks_state() == before


class TestTaskStatsEndpoint(EndpointChecks):
    """`stats/`: totals, so "the list excludes the other store" reads "the totals count only the
    caller's store"."""

    list_path = TASKS + "stats/"

    def make_object(self, tenant):
        return assigned_task(tenant)

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        mine = Member(tenant, self.actor_role)
        self.make_object(tenant)
        self.make_object(other_tenant)
        self.make_object(other_tenant)
        response = mine.client.get(self.list_path)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert (body["total"], body["by_status"]["pending"]) == (1, 1)
