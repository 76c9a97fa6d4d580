"""Vocabularies of the CRM (document 003): deal statuses with the one table of allowed moves, and
activity types."""

from django.db import models
from django.utils.translation import pgettext_lazy


class DealStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("deal status", "New")
    IN_PROGRESS = "in_progress", pgettext_lazy("deal status", "In progress")
    COMPLETED = "completed", pgettext_lazy("deal status", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("deal status", "Cancelled")


OPEN_STATUSES = frozenset({DealStatus.NEW, DealStatus.IN_PROGRESS})
CLOSED_STATUSES = frozenset({DealStatus.COMPLETED, DealStatus.CANCELLED})

# The one table of allowed status moves (from -> to); services refuse everything else.
# An open deal may move anywhere; a closed deal is only reopened (back to in progress), so a won
# deal is not turned into a lost one (or the other way round) without someone reopening it first.
DEAL_TRANSITIONS: dict[str, frozenset[str]] = {
    DealStatus.NEW: frozenset({DealStatus.IN_PROGRESS, DealStatus.COMPLETED, DealStatus.CANCELLED}),
    DealStatus.IN_PROGRESS: frozenset({DealStatus.NEW, DealStatus.COMPLETED, DealStatus.CANCELLED}),
    DealStatus.COMPLETED: frozenset({DealStatus.IN_PROGRESS}),
    DealStatus.CANCELLED: frozenset({DealStatus.IN_PROGRESS}),
}


def deal_move_allowed(source: str, target: str) -> bool:
    """Whether a deal in `source` may move to `target` (staying where it is always may)."""
    return source == target or target in DEAL_TRANSITIONS.get(source, frozenset())


class ActivityType(models.TextChoices):
    CALL = "call", pgettext_lazy("activity type", "Call")
    EMAIL = "email", pgettext_lazy("activity type", "Email")
    MEETING = "meeting", pgettext_lazy("activity type", "Meeting")
    DEAL = "deal", pgettext_lazy("activity type", "Deal")


class SalesPeriod(models.TextChoices):
    """The buckets of the sales analytics (003 `period`)."""

    DAILY = "daily", pgettext_lazy("sales period", "Daily")
    WEEKLY = "weekly", pgettext_lazy("sales period", "Weekly")
    MONTHLY = "monthly", pgettext_lazy("sales period", "Monthly")
    YEARLY = "yearly", pgettext_lazy("sales period", "Yearly")
