"""Writes of the tasks domain: create, edit, the status transitions, comments, tasks from templates.

Who may do what (the API's role lists say the same, these functions enforce it for every caller):

- create, edit, delete tasks; templates; approve, reject, cancel: manager, admin, owner;
- start, submit for review, complete: the assignee (any role) or a manager and above;
- approve: never one's own task, except for an owner;
- comment: anyone who can see the task (managers and above: every task of the tenant;
  cashiers and agents: tasks assigned to them or created by them).

`actor` is always the acting `Membership` (its user, role and tenant).
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status as http
from rest_framework.exceptions import APIException, NotFound, PermissionDenied

from savdo.audit.services import change_record, json_value
from savdo.tasks.choices import TRANSITIONS, TaskAction, TaskCategory, TaskPriority, TaskStatus
from savdo.tasks.events import task_history_record
from savdo.tasks.lock_objects import task_for_update
from savdo.tasks.models import Task, TaskComment, TaskTemplate
from savdo.tenancy.models import Membership, Role
from savdo.tenancy.roles import MANAGERS

# Fields a task's editor may change; status changes only through the transitions.
EDITABLE_FIELDS = frozenset({"title", "description", "priority", "category", "assigned_to", "due_date"})
# Actions the assignee may take on their own task whatever their role.
ASSIGNEE_ACTIONS = frozenset({TaskAction.START, TaskAction.SUBMIT_FOR_REVIEW, TaskAction.COMPLETE})


class TaskTransitionRefused(APIException):
    """A transition the table does not allow from the task's current status (400)."""

    status_code = http.HTTP_400_BAD_REQUEST
    default_code = "invalid_transition"
    default_detail = gettext_lazy("This action is not allowed in the task's current status.")


def _require_same_tenant(task: Task, actor: Membership) -> None:
    if task.tenant_id != actor.tenant_id:
        raise NotFound()


def _require_manager(actor: Membership) -> None:
    if actor.role not in MANAGERS:
        raise PermissionDenied(_("Only a manager, an administrator or the owner can do this."))


def _check_assignee(*, tenant, assigned_to) -> None:
    """An assignee must be an active member of the task's tenant (another tenant's user: 400)."""
    if assigned_to is None:
        return
    if not Membership.objects.filter(tenant=tenant, user=assigned_to, is_active=True).exists():
        raise ValidationError({"assigned_to": [_("This user is not an active member of this store.")]})


def _check_choices(fields: dict) -> None:
    for name, choices in (("priority", TaskPriority), ("category", TaskCategory)):
        if name in fields and fields[name] not in choices.values:
            raise ValidationError({name: [_("Select a valid choice.")]})


def _check_title(title: str) -> None:
    if not (title or "").strip():
        raise ValidationError({"title": [_("This field may not be blank.")]})


@transaction.atomic
def task_create(
    *,
    actor: Membership,
    title: str,
    description: str = "",
    priority: str = TaskPriority.MEDIUM,
    category: str = TaskCategory.OTHER,
    assigned_to=None,
    due_date: datetime | None = None,
    template: TaskTemplate | None = None,
) -> Task:
    """Create a pending task in the actor's tenant and open its history.

    Preconditions: the actor is a manager or above; `assigned_to` (a user or None) is an active
    member of the tenant; `template`, if given, belongs to the tenant.
    """
    _require_manager(actor)
    tenant = actor.tenant
    _check_title(title)
    _check_choices({"priority": priority, "category": category})
    _check_assignee(tenant=tenant, assigned_to=assigned_to)
    if template is not None and template.tenant_id != tenant.pk:
        raise ValidationError({"template": [_("Template not found.")]})
    task = Task.objects.create(
        tenant=tenant,
        title=title.strip(),
        description=description,
        priority=priority,
        category=category,
        assigned_to=assigned_to,
        due_date=due_date,
        template=template,
        created_by=actor.user,
        status=TaskStatus.PENDING,
    )
    task_history_record(task=task, actor=actor.user, action=TaskAction.CREATE, from_status="")
    return task


@transaction.atomic
def task_update(*, task: Task, actor: Membership, **fields) -> Task:
    """Change a task's title, description, priority, category, assignee or due date.

    Preconditions: the actor is a manager or above in the task's tenant; a new assignee is an
    active member of it. The status is not editable here (see the transitions).
    """
    _require_same_tenant(task, actor)
    _require_manager(actor)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    task = task_for_update(task=task)
    if "title" in fields:
        _check_title(fields["title"])
        fields["title"] = fields["title"].strip()
    _check_choices(fields)
    if "assigned_to" in fields:
        _check_assignee(tenant=actor.tenant, assigned_to=fields["assigned_to"])
    for name, value in fields.items():
        setattr(task, name, value)
    task.save(update_fields=[*fields, "updated_at"])
    return task


@transaction.atomic
def task_delete(*, task: Task, actor: Membership) -> None:
    """Delete a task with its history and comments. Precondition: the actor is a manager or above."""
    _require_same_tenant(task, actor)
    _require_manager(actor)
    task.delete()


def task_action_allowed(*, task: Task, actor: Membership, action: str) -> bool:
    """Whether the actor's role and relation to the task allow `action` (whatever the status)."""
    is_assignee = task.assigned_to_id is not None and task.assigned_to_id == actor.user_id
    if action in ASSIGNEE_ACTIONS:
        return is_assignee or actor.role in MANAGERS
    if action == TaskAction.APPROVE:
        return actor.role in MANAGERS and (not is_assignee or actor.role == Role.OWNER)
    return actor.role in MANAGERS  # reject, cancel


@transaction.atomic
def task_transition(*, task: Task, actor: Membership, action: str, comment: str = "") -> Task:
    """Move the task along `TRANSITIONS[action]` and record the change in its history.

    Takes the task's row lock first, so concurrent actions on one task apply one after another
    and the second sees the first's status. Refuses (nothing written) with 403 when the actor may
    not take the action, 400 naming the current status when the table does not allow it from
    there. A rejection needs a comment, which also becomes a comment on the task.
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError({"action": [_("Unknown action.")]})
    _require_same_tenant(task, actor)
    task = task_for_update(task=task)
    if not task_action_allowed(task=task, actor=actor, action=action):
        if action == TaskAction.APPROVE and actor.role in MANAGERS:
            raise PermissionDenied(_("You cannot approve your own task."))
        raise PermissionDenied(_("You can only act on tasks assigned to you."))
    if task.status not in transition.sources:
        raise TaskTransitionRefused(
            _('Cannot %(action)s a task in status "%(label)s" (%(status)s).')
            % {
                "action": TaskAction(action).label,
                "label": TaskStatus(task.status).label,
                "status": task.status,
            }
        )
    comment = (comment or "").strip()
    if action == TaskAction.REJECT and not comment:
        raise ValidationError({"comment": [_("Say what has to be redone.")]})

    now = timezone.now()
    from_status = task.status
    task.status = transition.target
    changed = ["status", "updated_at"]
    if transition.stamps:
        setattr(task, transition.stamps, now)
        changed.append(transition.stamps)
    task.save(update_fields=changed)
    task_history_record(task=task, actor=actor.user, action=action, from_status=from_status, comment=comment)
    changes = {"status": [from_status, task.status]}
    if transition.stamps:
        changes[transition.stamps] = [None, json_value(now)]
    if comment:
        changes["comment"] = [None, comment]
    change_record(instance=task, action=action, changes=changes, actor_id=actor.user_id)
    if action == TaskAction.REJECT:
        TaskComment.objects.create(tenant_id=task.tenant_id, task=task, author=actor.user, text=comment, created_at=now)
    return task


def task_start(*, task: Task, actor: Membership, comment: str = "") -> Task:
    """pending -> in_progress (the assignee or a manager)."""
    return task_transition(task=task, actor=actor, action=TaskAction.START, comment=comment)


def task_submit_for_review(*, task: Task, actor: Membership, comment: str = "") -> Task:
    """in_progress -> on_review (the assignee or a manager)."""
    return task_transition(task=task, actor=actor, action=TaskAction.SUBMIT_FOR_REVIEW, comment=comment)


def task_approve(*, task: Task, actor: Membership, comment: str = "") -> Task:
    """on_review -> completed (a manager and above; one's own task only as the owner)."""
    return task_transition(task=task, actor=actor, action=TaskAction.APPROVE, comment=comment)


def task_reject(*, task: Task, actor: Membership, comment: str) -> Task:
    """on_review -> in_progress with a comment saying what to redo (a manager and above)."""
    return task_transition(task=task, actor=actor, action=TaskAction.REJECT, comment=comment)


def task_complete(*, task: Task, actor: Membership, comment: str = "") -> Task:
    """in_progress -> completed without review (the assignee or a manager)."""
    return task_transition(task=task, actor=actor, action=TaskAction.COMPLETE, comment=comment)


def task_cancel(*, task: Task, actor: Membership, comment: str = "") -> Task:
    """pending | in_progress | on_review -> cancelled (a manager and above)."""
    return task_transition(task=task, actor=actor, action=TaskAction.CANCEL, comment=comment)


@transaction.atomic
def task_comment_create(*, task: Task, actor: Membership, text: str) -> TaskComment:
    """Add the actor's comment to a task.

    Preconditions: the task belongs to the actor's tenant and the actor can see it (managers and
    above: any; others: assigned to or created by them). The API's task lookup already applies
    this; it is checked again here for every other caller.
    """
    if task.tenant_id != actor.tenant_id:
        raise ValidationError({"task": [_("Task not found.")]})
    if actor.role not in MANAGERS and actor.user_id not in (task.assigned_to_id, task.created_by_id):
        raise ValidationError({"task": [_("Task not found.")]})
    text = (text or "").strip()
    if not text:
        raise ValidationError({"comment": [_("This field may not be blank.")]})
    return TaskComment.objects.create(tenant_id=task.tenant_id, task=task, author=actor.user, text=text)


@transaction.atomic
def task_create_from_template(
    *, template: TaskTemplate, actor: Membership, assigned_to=None, due_date: datetime | None = None
) -> Task:
    """A new task copying the template's title, description, priority and category.

    Without `due_date` the task is due `default_due_hours` from now (no due date if the template
    has none). Preconditions as for `task_create`; the template belongs to the actor's tenant.
    """
    if due_date is None and template.default_due_hours is not None:
        due_date = timezone.now() + timedelta(hours=template.default_due_hours)
    return task_create(
        actor=actor,
        title=template.title,
        description=template.description,
        priority=template.priority,
        category=template.category,
        assigned_to=assigned_to,
        due_date=due_date,
        template=template,
    )


# --- templates ---------------------------------------------------------------------------------------
# One statement each: the API kernel runs them in its transaction with the change-log row.


def task_template_create(*, tenant, actor=None, **fields) -> TaskTemplate:
    """A task template of `tenant`, written by the user `actor` (its `created_by`)."""
    return TaskTemplate.objects.create(tenant=tenant, created_by=actor, **fields)


def task_template_update(*, template: TaskTemplate, **fields) -> TaskTemplate:
    for name, value in fields.items():
        setattr(template, name, value)
    template.save()
    return template


def task_template_delete(*, template: TaskTemplate) -> None:
    template.delete()
