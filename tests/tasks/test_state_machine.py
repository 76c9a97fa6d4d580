"""Random actions by random members on one task: the status always follows the issue's table, a
refused action changes nothing, and the history records every change, chained from creation.

The oracle below is written from the issue text, independently of `savdo.tasks.choices` and the
services' permission code, so a mistake in either shows up here.
"""

import itertools

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from rest_framework.exceptions import PermissionDenied

from savdo.tasks import services
from savdo.tasks.models import Task, TaskComment, TaskHistory
from savdo.tenancy.models import Role
from tests.conftest import Member

# The table: action -> (allowed from, to).
TABLE = {
    "start": ({"pending"}, "in_progress"),
    "submit_for_review": ({"in_progress"}, "on_review"),
    "approve": ({"on_review"}, "completed"),
    "reject": ({"on_review"}, "in_progress"),
    "complete": ({"in_progress"}, "completed"),
    "cancel": ({"pending", "in_progress", "on_review"}, "cancelled"),
}
MANAGER_ROLES = {"owner", "admin", "manager"}
# Members of the store the machine acts as (name -> role).
ACTORS = {
    "owner": Role.OWNER,
    "admin": Role.ADMIN,
    "manager": Role.MANAGER,
    "cashier": Role.CASHIER,
    "cashier2": Role.CASHIER,
    "agent": Role.AGENT,
}


def may(*, role: str, is_assignee: bool, action: str) -> bool:
    """The issue's rules: the assignee or a manager starts, submits and completes; managers and
    above approve (one's own task only as the owner), reject and cancel."""
    if action in ("start", "submit_for_review", "complete"):
        return is_assignee or role in MANAGER_ROLES
    if action == "approve":
        return role in MANAGER_ROLES and (not is_assignee or role == "owner")
    return role in MANAGER_ROLES


def test_random_actions_follow_the_table(tenant):
    members = {name: Member(tenant, role) for name, role in ACTORS.items()}

    class TaskWorkflow(RuleBasedStateMachine):
        @initialize(assignee=st.sampled_from(["cashier", "agent", "manager", "admin", "owner", None]))
        def create_task(self, assignee):
            self.assignee = assignee
            user = members[assignee].user if assignee else None
            self.task = services.task_create(actor=members["manager"].membership, title="Пересчёт", assigned_to=user)
            self.status = "pending"
            self.history = [("create", "", "pending", members["manager"].user.pk, "")]
            self.rejections = []

        @rule(
            actor=st.sampled_from(sorted(ACTORS)),
            action=st.sampled_from(sorted(TABLE)),
            comment=st.sampled_from(["", "   ", "Переделать полку 3", "ok"]),
        )
        def act(self, actor, action, comment):
            member = members[actor]
            allowed = may(role=member.role, is_assignee=(actor == self.assignee), action=action)
            sources, target = TABLE[action]
            try:
                services.task_transition(task=self.task, actor=member.membership, action=action, comment=comment)
            except PermissionDenied:
                assert not allowed, (actor, action, self.status)
                return
            except services.TaskTransitionRefused as exc:
                assert allowed and self.status not in sources, (actor, action, self.status)
                assert f"({self.status})" in str(exc.detail)
                return
            except ValidationError as exc:
                assert allowed and self.status in sources and action == "reject" and not comment.strip()
                assert "comment" in exc.message_dict
                return
            assert allowed and self.status in sources, (actor, action, self.status)
            assert action != "reject" or comment.strip()
            self.history.append((action, self.status, target, member.user.pk, comment.strip()))
            if action == "reject":
                self.rejections.append(comment.strip())
            self.status = target

        @invariant()
        def database_agrees(self):
            task = Task.objects.get(pk=self.task.pk)
            assert task.status == self.status
            rows = list(
                TaskHistory.objects.filter(task=task)
                .order_by("created_at", "id")
                .values_list("action", "from_status", "to_status", "actor_id", "comment")
            )
            assert rows == self.history
            for before, after in itertools.pairwise(rows):
                assert after[1] == before[2]  # each change starts where the previous one ended
            assert rows[-1][2] == task.status
            texts = list(TaskComment.objects.filter(task=task).order_by("id").values_list("text", flat=True))
            assert texts == self.rejections
            done = {row[0] for row in rows}
            assert (task.started_at is not None) == ("start" in done)
            assert (task.submitted_at is not None) == ("submit_for_review" in done)
            assert (task.completed_at is not None) == (task.status == "completed")
            assert (task.cancelled_at is not None) == (task.status == "cancelled")

    run_state_machine_as_test(
        TaskWorkflow,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
