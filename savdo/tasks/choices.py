"""Vocabularies of staff tasks (document 001, "Приоритеты/Статусы/Категории задач") and the one
table of allowed status transitions."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import pgettext_lazy

# The labels carry a context: "Pending", "Sales" or "Other" mean other things elsewhere (a sale
# is "pending" too) and must translate differently.


class TaskPriority(models.TextChoices):
    LOW = "low", pgettext_lazy("task priority", "Low")
    MEDIUM = "medium", pgettext_lazy("task priority", "Medium")
    HIGH = "high", pgettext_lazy("task priority", "High")
    URGENT = "urgent", pgettext_lazy("task priority", "Urgent")


# Ordering by priority means by urgency, not alphabetically.
PRIORITY_RANK = {TaskPriority.LOW: 1, TaskPriority.MEDIUM: 2, TaskPriority.HIGH: 3, TaskPriority.URGENT: 4}


class TaskCategory(models.TextChoices):
    INVENTORY = "inventory", pgettext_lazy("task category", "Inventory")
    SALES = "sales", pgettext_lazy("task category", "Sales")
    CUSTOMER_SERVICE = "customer_service", pgettext_lazy("task category", "Customer service")
    MAINTENANCE = "maintenance", pgettext_lazy("task category", "Equipment maintenance")
    CLEANING = "cleaning", pgettext_lazy("task category", "Cleaning")
    OTHER = "other", pgettext_lazy("task category", "Other")


class TaskStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("task status", "Pending")
    IN_PROGRESS = "in_progress", pgettext_lazy("task status", "In progress")
    ON_REVIEW = "on_review", pgettext_lazy("task status", "On review")
    COMPLETED = "completed", pgettext_lazy("task status", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("task status", "Cancelled")


OPEN_STATUSES = frozenset({TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.ON_REVIEW})
CLOSED_STATUSES = frozenset({TaskStatus.COMPLETED, TaskStatus.CANCELLED})


class TaskAction(models.TextChoices):
    """What a history row records. `create` opens the history; the rest are transitions."""

    CREATE = "create", pgettext_lazy("task action", "create")
    START = "start", pgettext_lazy("task action", "start")
    SUBMIT_FOR_REVIEW = "submit_for_review", pgettext_lazy("task action", "submit for review")
    APPROVE = "approve", pgettext_lazy("task action", "approve")
    REJECT = "reject", pgettext_lazy("task action", "reject")
    COMPLETE = "complete", pgettext_lazy("task action", "complete")
    CANCEL = "cancel", pgettext_lazy("task action", "cancel")


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    # The timestamp field the transition stamps with "now" (None: none).
    stamps: str | None = None


# The one table of allowed transitions; services refuse everything else.
TRANSITIONS: dict[str, Transition] = {
    TaskAction.START: Transition(frozenset({TaskStatus.PENDING}), TaskStatus.IN_PROGRESS, "started_at"),
    TaskAction.SUBMIT_FOR_REVIEW: Transition(frozenset({TaskStatus.IN_PROGRESS}), TaskStatus.ON_REVIEW, "submitted_at"),
    TaskAction.APPROVE: Transition(frozenset({TaskStatus.ON_REVIEW}), TaskStatus.COMPLETED, "completed_at"),
    TaskAction.REJECT: Transition(frozenset({TaskStatus.ON_REVIEW}), TaskStatus.IN_PROGRESS),
    TaskAction.COMPLETE: Transition(frozenset({TaskStatus.IN_PROGRESS}), TaskStatus.COMPLETED, "completed_at"),
    TaskAction.CANCEL: Transition(OPEN_STATUSES, TaskStatus.CANCELLED, "cancelled_at"),
}
