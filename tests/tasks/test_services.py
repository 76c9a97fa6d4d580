from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied

from savdo.tasks import services
from savdo.tasks.choices import TRANSITIONS, TaskAction, TaskStatus
from savdo.tasks.models import Task, TaskComment, TaskHistory
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.tasks.factories import TaskTemplateFactory


@pytest.fixture
def team(tenant):
    return {role: Member(tenant, role) for role in Role.values}


def _new_task(team, assignee_role=Role.CASHIER, **kwargs) -> Task:
    return services.task_create(
        actor=team[Role.MANAGER].membership,
        title="Пересчитать склад",
        assigned_to=team[assignee_role].user if assignee_role else None,
        **kwargs,
    )


def _state(task: Task) -> tuple:
    task.refresh_from_db()
    return (
        task.status,
        task.started_at,
        task.submitted_at,
        task.completed_at,
        task.cancelled_at,
        TaskHistory.objects.filter(task=task).count(),
        TaskComment.objects.filter(task=task).count(),
    )


def _move_to(task: Task, status: str, actor) -> Task:
    path = {
        TaskStatus.PENDING: [],
        TaskStatus.IN_PROGRESS: [TaskAction.START],
        TaskStatus.ON_REVIEW: [TaskAction.START, TaskAction.SUBMIT_FOR_REVIEW],
        TaskStatus.COMPLETED: [TaskAction.START, TaskAction.COMPLETE],
        TaskStatus.CANCELLED: [TaskAction.CANCEL],
    }[status]
    for action in path:
        task = services.task_transition(task=task, actor=actor, action=action)
    return task


def test_create_writes_pending_task_and_first_history_row(team):
    due = timezone.now() + timedelta(days=1)
    task = _new_task(team, priority="high", category="inventory", due_date=due, description="Все полки")
    assert (task.status, task.priority, task.category, task.due_date) == ("pending", "high", "inventory", due)
    assert task.created_by == team[Role.MANAGER].user
    assert task.assigned_to == team[Role.CASHIER].user
    assert list(task.history.values_list("action", "from_status", "to_status")) == [("create", "", "pending")]


def test_defaults_are_medium_and_other(team):
    task = _new_task(team)
    assert (task.priority, task.category) == ("medium", "other")


@pytest.mark.parametrize("role", [Role.CASHIER, Role.AGENT])
def test_only_managers_and_above_create(team, role):
    with pytest.raises(PermissionDenied):
        services.task_create(actor=team[role].membership, title="x")
    assert not Task.objects.exists()


def test_assignee_must_be_active_member_of_the_tenant(team, other_owner):
    manager = team[Role.MANAGER].membership
    with pytest.raises(ValidationError) as exc:
        services.task_create(actor=manager, title="x", assigned_to=other_owner.user)
    assert exc.value.message_dict == {"assigned_to": ["Этот пользователь не является активным сотрудником магазина."]}
    cashier = team[Role.CASHIER]
    cashier.membership.is_active = False
    cashier.membership.save()
    with pytest.raises(ValidationError):
        services.task_create(actor=manager, title="x", assigned_to=cashier.user)
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("action", "source", "target"), [(a, s, t.target) for a, t in TRANSITIONS.items() for s in sorted(t.sources)]
)
def test_every_allowed_transition(team, action, source, target):
    manager = team[Role.MANAGER].membership
    task = _move_to(_new_task(team), source, manager)
    actor = team[Role.OWNER].membership
    task = services.task_transition(task=task, actor=actor, action=action, comment="ok")
    assert task.status == target
    last = task.history.order_by("-id").first()
    assert (last.action, last.from_status, last.to_status, last.actor_id, last.comment) == (
        action,
        source,
        target,
        actor.user_id,
        "ok",
    )


@pytest.mark.parametrize(
    ("action", "source"),
    [(a, s) for a, t in TRANSITIONS.items() for s in TaskStatus.values if s not in t.sources],
)
def test_every_refused_transition_names_status_and_changes_nothing(team, action, source):
    task = _move_to(_new_task(team), source, team[Role.MANAGER].membership)
    before = _state(task)
    with pytest.raises(services.TaskTransitionRefused) as exc:
        services.task_transition(task=task, actor=team[Role.OWNER].membership, action=action, comment="no")
    assert exc.value.status_code == 400
    assert f"({source})" in str(exc.value.detail)
    assert _state(task) == before


def test_timestamps_follow_the_workflow(team):
    cashier = team[Role.CASHIER].membership
    task = _new_task(team)
    task = services.task_start(task=task, actor=cashier)
    assert task.started_at is not None and task.submitted_at is None
    task = services.task_submit_for_review(task=task, actor=cashier)
    assert task.submitted_at >= task.started_at
    task = services.task_approve(task=task, actor=team[Role.MANAGER].membership)
    assert task.completed_at >= task.submitted_at
    assert task.cancelled_at is None


def test_reject_needs_comment_and_adds_it_as_task_comment(team):
    manager = team[Role.MANAGER].membership
    task = _move_to(_new_task(team), TaskStatus.ON_REVIEW, manager)
    before = _state(task)
    with pytest.raises(ValidationError) as exc:
        services.task_reject(task=task, actor=manager, comment="   ")
    assert "comment" in exc.value.message_dict
    assert _state(task) == before
    task = services.task_reject(task=task, actor=manager, comment="  Не все пункты выполнены ")
    assert task.status == "in_progress"
    comment = TaskComment.objects.get(task=task)
    assert (comment.text, comment.author_id) == ("Не все пункты выполнены", manager.user_id)
    assert task.history.order_by("-id").first().comment == "Не все пункты выполнены"


@pytest.mark.parametrize("action", [TaskAction.START, TaskAction.SUBMIT_FOR_REVIEW, TaskAction.COMPLETE])
def test_cashier_acts_only_on_own_tasks(team, tenant, action):
    other_cashier = Member(tenant, Role.CASHIER)
    source = next(iter(TRANSITIONS[action].sources))
    task = _move_to(_new_task(team), source, team[Role.MANAGER].membership)
    before = _state(task)
    with pytest.raises(PermissionDenied):
        services.task_transition(task=task, actor=other_cashier.membership, action=action)
    assert _state(task) == before
    services.task_transition(task=task, actor=team[Role.CASHIER].membership, action=action)


@pytest.mark.parametrize("action", [TaskAction.APPROVE, TaskAction.REJECT, TaskAction.CANCEL])
@pytest.mark.parametrize("role", [Role.CASHIER, Role.AGENT])
def test_review_and_cancel_need_a_manager(team, action, role):
    task = _move_to(_new_task(team, assignee_role=role), TaskStatus.ON_REVIEW, team[Role.MANAGER].membership)
    before = _state(task)
    with pytest.raises(PermissionDenied):
        services.task_transition(task=task, actor=team[role].membership, action=action, comment="x")
    assert _state(task) == before


@pytest.mark.parametrize(("role", "allowed"), [(Role.MANAGER, False), (Role.ADMIN, False), (Role.OWNER, True)])
def test_approving_ones_own_task_only_as_owner(team, role, allowed):
    actor = team[role].membership
    task = _move_to(_new_task(team, assignee_role=role), TaskStatus.ON_REVIEW, actor)
    if allowed:
        assert services.task_approve(task=task, actor=actor).status == "completed"
        return
    before = _state(task)
    with pytest.raises(PermissionDenied) as exc:
        services.task_approve(task=task, actor=actor)
    assert "own task" in str(exc.value.detail) or "собственную" in str(exc.value.detail)
    assert _state(task) == before
    # Another manager may approve it.
    other = team[Role.OWNER if role != Role.OWNER else Role.MANAGER].membership
    assert services.task_approve(task=task, actor=other).status == "completed"


def test_another_tenants_task_is_not_found(team, other_owner):
    task = _new_task(team)
    with pytest.raises(NotFound):
        services.task_start(task=task, actor=other_owner.membership)
    with pytest.raises(NotFound):
        services.task_update(task=task, actor=other_owner.membership, title="mine")
    with pytest.raises(ValidationError):
        services.task_comment_create(task=task, actor=other_owner.membership, text="hi")
    assert _state(task)[0] == "pending" and not TaskComment.objects.exists()


def test_update_changes_fields_but_never_status(team, other_owner):
    manager = team[Role.MANAGER].membership
    task = _new_task(team)
    task = services.task_update(task=task, actor=manager, title=" Новое ", priority="urgent", assigned_to=None)
    assert (task.title, task.priority, task.assigned_to) == ("Новое", "urgent", None)
    with pytest.raises(ValidationError):
        services.task_update(task=task, actor=manager, status="completed")
    with pytest.raises(ValidationError):
        services.task_update(task=task, actor=manager, assigned_to=other_owner.user)
    task.refresh_from_db()
    assert (task.status, task.assigned_to) == ("pending", None)


def test_comment_visibility_for_cashiers(team, tenant):
    task = _new_task(team)
    comment = services.task_comment_create(task=task, actor=team[Role.CASHIER].membership, text=" Работаю ")
    assert (comment.text, comment.author_id) == ("Работаю", team[Role.CASHIER].user.pk)
    stranger = Member(tenant, Role.CASHIER)
    with pytest.raises(ValidationError):
        services.task_comment_create(task=task, actor=stranger.membership, text="hi")
    with pytest.raises(ValidationError):
        services.task_comment_create(task=task, actor=team[Role.MANAGER].membership, text="  ")
    assert TaskComment.objects.count() == 1


def test_task_from_template_copies_it(team):
    template = TaskTemplateFactory(tenant=team[Role.OWNER].tenant, default_due_hours=48)
    before = timezone.now()
    task = services.task_create_from_template(
        template=template, actor=team[Role.MANAGER].membership, assigned_to=team[Role.CASHIER].user
    )
    assert (task.title, task.description, task.priority, task.category, task.template) == (
        template.title,
        template.description,
        template.priority,
        template.category,
        template,
    )
    assert before + timedelta(hours=48) <= task.due_date <= timezone.now() + timedelta(hours=48)
    due = timezone.now() + timedelta(hours=3)
    other = services.task_create_from_template(template=template, actor=team[Role.MANAGER].membership, due_date=due)
    assert (other.due_date, other.assigned_to) == (due, None)
    template.default_due_hours = None
    template.save()
    third = services.task_create_from_template(template=template, actor=team[Role.MANAGER].membership)
    assert third.due_date is None


def test_template_of_another_tenant_is_refused(team, other_tenant):
    template = TaskTemplateFactory(tenant=other_tenant)
    with pytest.raises(ValidationError):
        services.task_create_from_template(template=template, actor=team[Role.MANAGER].membership)
    assert not Task.objects.exists()
