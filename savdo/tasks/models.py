"""Staff tasks: work a manager hands out (stock counts, cleaning, customer calls) and checks.

Document 001 §5 mapping: `assigned_to` is the assignee's user id (a member of the tenant),
`created_by` the creator's; statuses, priorities and categories are the lists at the end of 001
(`on_review` included). Status changes only through `savdo.tasks.services` along
`savdo.tasks.choices.TRANSITIONS`, each one recorded as a `TaskHistory` row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.core.models import TenantOwned, TimeStamped
from savdo.tasks.choices import OPEN_STATUSES, TaskAction, TaskCategory, TaskPriority, TaskStatus


class TaskTemplate(TenantOwned, TimeStamped):
    """A recurring piece of work (001 §5.4 "Шаблоны задач"); `create-task` copies it into a Task.

    `default_due_hours`: the due date a task made from the template gets when none is given
    (hours from its creation; none: no due date).
    """

    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True, default="")
    priority = models.CharField(_("priority"), max_length=16, choices=TaskPriority.choices, default=TaskPriority.MEDIUM)
    category = models.CharField(_("category"), max_length=32, choices=TaskCategory.choices, default=TaskCategory.OTHER)
    default_due_hours = models.PositiveIntegerField(_("default due, hours after creation"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("task template")
        verbose_name_plural = _("task templates")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class Task(TenantOwned, TimeStamped):
    """One task of a tenant's staff (001 §5.1)."""

    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True, default="")
    priority = models.CharField(_("priority"), max_length=16, choices=TaskPriority.choices, default=TaskPriority.MEDIUM)
    category = models.CharField(_("category"), max_length=32, choices=TaskCategory.choices, default=TaskCategory.OTHER)
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    # Users outlive memberships: a deactivated member keeps their tasks.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("creator"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    template = models.ForeignKey(TaskTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    due_date = models.DateTimeField(_("due date"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted for review at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            models.Index(fields=["tenant", "status"]),
            models.Index(fields=["tenant", "assigned_to", "status"]),
            models.Index(fields=["tenant", "due_date"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values), name="task_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=TaskPriority.values), name="task_priority_valid"),
            models.CheckConstraint(condition=Q(category__in=TaskCategory.values), name="task_category_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < timezone.now()


class TaskHistory(TenantOwned):
    """One change of a task's status: who, from, to, when, with the comment given (if any).

    The first row of every task is its creation (`action=create`, `from_status=""`); each later
    row's `from_status` is the previous row's `to_status`.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(_("action"), max_length=32, choices=TaskAction.choices)
    from_status = models.CharField(_("from"), max_length=16, blank=True, default="")
    to_status = models.CharField(_("to"), max_length=16, choices=TaskStatus.choices)
    comment = models.TextField(_("comment"), blank=True, default="")
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("task history row")
        verbose_name_plural = _("task history")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["task", "created_at"])]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.from_status or '-'} -> {self.to_status}"


class TaskComment(TenantOwned):
    """A comment on a task (001 §5.3: `{task, comment}`); a rejection's comment is one too."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("task comment")
        verbose_name_plural = _("task comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["task", "created_at"])]

    def __str__(self) -> str:
        return self.text[:50]
