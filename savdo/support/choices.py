"""Vocabularies of support tickets (document 004 §6), the default service levels, and the one table
of allowed status transitions."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import pgettext_lazy

# Labels carry a context: "New", "Closed" or "Other" mean other things elsewhere and may translate
# differently.


class TicketCategory(models.TextChoices):
    """What a ticket is about: the queues of an operator's support desk (and any store's)."""

    TECHNICAL = "technical", pgettext_lazy("ticket category", "Technical problem")
    BILLING = "billing", pgettext_lazy("ticket category", "Billing and payments")
    NETWORK = "network", pgettext_lazy("ticket category", "Network and coverage")
    INTERNET = "internet", pgettext_lazy("ticket category", "Mobile internet")
    SIM_CARD = "sim_card", pgettext_lazy("ticket category", "SIM card")
    TARIFF = "tariff", pgettext_lazy("ticket category", "Tariffs and services")
    ROAMING = "roaming", pgettext_lazy("ticket category", "Roaming")
    NUMBER_PORTING = "number_porting", pgettext_lazy("ticket category", "Number porting")
    ACCOUNT = "account", pgettext_lazy("ticket category", "Contract and personal data")
    COMPLAINT = "complaint", pgettext_lazy("ticket category", "Complaint about service")
    CONSULTATION = "consultation", pgettext_lazy("ticket category", "Question")
    OTHER = "other", pgettext_lazy("ticket category", "Other")


class TicketPriority(models.TextChoices):
    LOW = "low", pgettext_lazy("ticket priority", "Low")
    MEDIUM = "medium", pgettext_lazy("ticket priority", "Medium")
    HIGH = "high", pgettext_lazy("ticket priority", "High")
    CRITICAL = "critical", pgettext_lazy("ticket priority", "Critical")


# Ordering by priority means by urgency, not alphabetically.
PRIORITY_RANK = {TicketPriority.LOW: 1, TicketPriority.MEDIUM: 2, TicketPriority.HIGH: 3, TicketPriority.CRITICAL: 4}


class TicketStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    ASSIGNED = "assigned", pgettext_lazy("ticket status", "Assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("ticket status", "In progress")
    RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")
    REOPENED = "reopened", pgettext_lazy("ticket status", "Reopened")


# Tickets someone still has to work on: these can be overdue.
OPEN_STATUSES = frozenset({TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.REOPENED})
DONE_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})


class TicketAction(models.TextChoices):
    """What a history row records: `create` opens the history, the rest are the transitions."""

    CREATE = "create", pgettext_lazy("ticket action", "create")
    ASSIGN = "assign", pgettext_lazy("ticket action", "assign")
    START_WORK = "start_work", pgettext_lazy("ticket action", "start work on")
    RESOLVE = "resolve", pgettext_lazy("ticket action", "resolve")
    CLOSE = "close", pgettext_lazy("ticket action", "close")
    REOPEN = "reopen", pgettext_lazy("ticket action", "reopen")


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str


# The one table of allowed transitions; services refuse everything else (400 naming the status).
# `assign` also reassigns: from any open status the ticket goes (back) to `assigned`, and its new
# assignee starts work. Work starts again on a reopened ticket by its assignee, or after a new `assign`.
TRANSITIONS: dict[str, Transition] = {
    TicketAction.ASSIGN: Transition(OPEN_STATUSES, TicketStatus.ASSIGNED),
    TicketAction.START_WORK: Transition(
        frozenset({TicketStatus.ASSIGNED, TicketStatus.REOPENED}), TicketStatus.IN_PROGRESS
    ),
    TicketAction.RESOLVE: Transition(frozenset({TicketStatus.IN_PROGRESS}), TicketStatus.RESOLVED),
    TicketAction.CLOSE: Transition(frozenset({TicketStatus.RESOLVED}), TicketStatus.CLOSED),
    TicketAction.REOPEN: Transition(DONE_STATUSES, TicketStatus.REOPENED),
}


# Default service levels per priority, in minutes: (first response, resolution). A store's own
# targets (`ServiceLevel` rows, editable by the owner) replace these priority by priority.
DEFAULT_SERVICE_LEVELS: dict[str, tuple[int, int]] = {
    TicketPriority.CRITICAL: (60, 4 * 60),
    TicketPriority.HIGH: (4 * 60, 24 * 60),
    TicketPriority.MEDIUM: (8 * 60, 3 * 24 * 60),
    TicketPriority.LOW: (24 * 60, 5 * 24 * 60),
}
# The longest target a store may set (a year): keeps deadlines far from the calendar's end.
MAX_TARGET_MINUTES = 365 * 24 * 60

TICKET_NUMBER_PREFIX = "TKT"
