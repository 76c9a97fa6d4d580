"""Support tickets with service levels, a status history and comments; usable by any store (document
004 §6 shows them for a telecom operator).

Document 004 mapping (`/api/tickets/`): `subject`, `description`, `category`, `priority`, `status`,
`customer` (a `savdo.customers.models.Customer`, the same row every surface reads), `contract` (an
optional `telecom.Contract` of that customer), `assigned_to` (a user, an active member of the store),
`due_date` (the resolution deadline). The store's generated `number` (`TKT-<year>-<NNNNNN>`) is
what people read out on the phone; search finds it.

Status changes only through `savdo.support.services` along `savdo.support.choices.TRANSITIONS`,
each one recorded as a `TicketHistory` row.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.core.models import TenantOwned
from savdo.customers.models import Customer
from savdo.support.choices import (
    MAX_TARGET_MINUTES,
    OPEN_STATUSES,
    TicketAction,
    TicketCategory,
    TicketPriority,
    TicketStatus,
)


class ServiceLevel(TenantOwned):
    """A store's service level for one priority: how soon a ticket gets its first response and how
    soon it is resolved (minutes, round the clock). A priority without a row uses
    `savdo.support.choices.DEFAULT_SERVICE_LEVELS`. Targets apply to tickets created (or
    re-prioritised) after they change; deadlines already set stay."""

    priority = models.CharField(_("priority"), max_length=16, choices=TicketPriority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response within, minutes"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within, minutes"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "priority"], name="servicelevel_tenant_priority_uniq"),
            models.CheckConstraint(condition=Q(priority__in=TicketPriority.values), name="servicelevel_priority_valid"),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gte=1)
                & Q(first_response_minutes__lte=F("resolution_minutes"))
                & Q(resolution_minutes__lte=MAX_TARGET_MINUTES),
                name="servicelevel_targets_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority}: {self.first_response_minutes} / {self.resolution_minutes} min"


class TicketNumberCounter(TenantOwned):
    """A store's ticket sequence for one year: `last_number + 1` in one UPDATE under its row lock per
    new ticket (`TKT-<year>-<last_number:06>`)."""

    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "year"], name="ticketcounter_tenant_year_uniq")]


class Ticket(TenantOwned):
    """A customer's request to the support desk (004 §6), worked from `new` to `closed`.

    Deadlines: `due_date` is the resolution deadline, the one given or else `created_at` plus the
    store's resolution target for the priority (`due_date_given` says which); `first_response_due`
    is `created_at` plus the first-response target. `first_response_at` is the first assignment or
    staff reply; `resolved_at` the last `resolve` (cleared by `reopen`, so it is always the final one).
    """

    number = models.CharField(_("number"), max_length=32)
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True, default="")
    category = models.CharField(
        _("category"), max_length=32, choices=TicketCategory.choices, default=TicketCategory.TECHNICAL
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=TicketPriority.choices, default=TicketPriority.MEDIUM
    )
    status = models.CharField(_("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets")
    contract = models.ForeignKey(
        "telecom.Contract",
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    # Users outlive memberships: a deactivated member keeps their tickets.
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
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    due_date = models.DateTimeField(_("resolution due"))
    due_date_given = models.BooleanField(_("due date set by hand"), default=False)
    first_response_due = models.DateTimeField(_("first response due"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    started_at = models.DateTimeField(_("work started"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True, default="")
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)

    # Not `auto_now_add`: the deadlines are computed from this very instant, and tickets entered
    # after the fact (imports, the demo) keep the time they were opened.
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # List totals and the statistics' cached part are renewed by every write to a store's tickets
    # (savdo/core/counts.py, versions.py).
    count_scope = "tickets"

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="ticket_tenant_number_uniq"),
            models.CheckConstraint(condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=TicketPriority.values), name="ticket_priority_valid"),
            models.CheckConstraint(condition=Q(category__in=TicketCategory.values), name="ticket_category_valid"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="ticket_tenant_created_idx"),
            models.Index(fields=["tenant", "status"], name="ticket_tenant_status_idx"),
            models.Index(fields=["tenant", "assigned_to", "-created_at"], name="ticket_tenant_assignee_idx"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_idx"),
            models.Index(fields=["contract", "-created_at"], name="ticket_contract_idx"),
            # overdue/: open tickets by deadline, a small part of a store's tickets.
            models.Index(
                fields=["tenant", "due_date"],
                condition=Q(status__in=sorted(str(status) for status in OPEN_STATUSES)),
                name="ticket_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date < timezone.now()


class TicketHistory(TenantOwned):
    """One change of a ticket's status: who, when, from, to, the comment given (a resolution's text,
    a reopening's reason) and, for an assignment, whom it went to.

    The first row of every ticket is its creation (`action=create`, `from_status=""`); each later
    row's `from_status` is the previous row's `to_status`.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(_("action"), max_length=16, choices=TicketAction.choices)
    from_status = models.CharField(_("from"), max_length=16, blank=True, default="")
    to_status = models.CharField(_("to"), max_length=16, choices=TicketStatus.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True, default="")
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket history row")
        verbose_name_plural = _("ticket history")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="tickethistory_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.from_status or '-'} -> {self.to_status}"


class TicketComment(TenantOwned):
    """A staff member's comment on a ticket: a reply to the customer, or an internal note that only
    staff read (`is_internal`). The first reply is the ticket's first response; notes are not."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("comment"))
    is_internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket comment")
        verbose_name_plural = _("ticket comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketcomment_ticket_idx")]

    def __str__(self) -> str:
        return self.text[:50]
