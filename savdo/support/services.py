"""Writes of the support domain: tickets, their transitions, comments, service levels.

Who may do what (the API's role lists say the same; these functions enforce it for every caller):

- read, create, edit and comment on tickets, reopen them: support staff (owner, admin, manager, agent);
- assign: managers and above to anyone who works tickets; an agent only to themselves (takes it);
- start work, resolve, close: the ticket's assignee, or a manager and above;
- delete a ticket: the owner or an administrator (mistakes and spam; everyone else closes);
- change the store's service levels: the owner.

`membership` is always the acting member (their user, role and tenant).
"""

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, PermissionDenied

from savdo.audit.models import ChangeAction
from savdo.audit.services import change_record, snapshot
from savdo.customers.models import Customer
from savdo.support import selectors
from savdo.support.choices import (
    MAX_TARGET_MINUTES,
    TICKET_NUMBER_PREFIX,
    TRANSITIONS,
    TicketAction,
    TicketCategory,
    TicketPriority,
    TicketStatus,
)
from savdo.support.events import ticket_history_record
from savdo.support.exceptions import TicketTransitionRefused
from savdo.support.lock_objects import ticket_for_update
from savdo.support.models import ServiceLevel, Ticket, TicketComment, TicketNumberCounter
from savdo.tenancy.models import Membership
from savdo.tenancy.roles import ADMINS, MANAGERS, OWNERS, SUPPORT_STAFF

# Fields a ticket's editor may change; the status changes only through the transitions, and the
# assignee through `assign` (which an edit of `assigned_to` runs).
EDITABLE_FIELDS = frozenset(
    {"subject", "description", "category", "priority", "customer", "contract", "assigned_to", "due_date"}
)
# Actions the ticket's assignee may take whatever their role (managers and above: on any ticket).
ASSIGNEE_ACTIONS = frozenset({TicketAction.START_WORK, TicketAction.RESOLVE, TicketAction.CLOSE})


# --- checks -----------------------------------------------------------------------------------------


def _require_same_tenant(obj, membership: Membership) -> None:
    if obj.tenant_id != membership.tenant_id:
        raise NotFound()


def _require_support_staff(membership: Membership) -> None:
    if not membership.is_active or membership.role not in SUPPORT_STAFF:
        raise PermissionDenied(_("Only support agents, managers, administrators and the owner work with tickets."))


def _clean_subject(subject: str) -> str:
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": [_("This field may not be blank.")]})
    return subject


def _check_choices(fields: dict) -> None:
    for name, choices in (("priority", TicketPriority), ("category", TicketCategory)):
        if name in fields and fields[name] not in choices.values:
            raise ValidationError({name: [_("Select a valid choice.")]})


def _check_customer_and_contract(*, tenant, customer: Customer | None, contract) -> None:
    """The customer is the store's; the contract, if any, is the store's and that customer's."""
    if customer is None or customer.tenant_id != tenant.pk:
        raise ValidationError({"customer": [_("Not found.")]})
    if contract is None:
        return
    if contract.tenant_id != tenant.pk:
        raise ValidationError({"contract": [_("Not found.")]})
    if contract.customer_id != customer.pk:
        raise ValidationError(
            {
                "contract": [
                    _("Contract %(number)s belongs to another customer.") % {"number": contract.number},
                ]
            }
        )


def _check_assignee(*, tenant, user, field: str) -> None:
    """An assignee is an active member of the ticket's store in a role that works tickets."""
    membership = Membership.objects.filter(tenant=tenant, user=user).first() if user is not None else None
    if membership is None or not membership.is_active or not user.is_active:
        raise ValidationError({field: [_("This user is not an active member of this store.")]})
    if membership.role not in SUPPORT_STAFF:
        raise ValidationError({field: [_("This user's role does not work with tickets.")]})


def ticket_action_allowed(*, ticket: Ticket, membership: Membership, action: str, assignee=None) -> bool:
    """Whether the member's role and relation to the ticket allow `action` (whatever the status)."""
    if not membership.is_active or membership.role not in SUPPORT_STAFF:
        return False
    if membership.role in MANAGERS:
        return True
    if action == TicketAction.ASSIGN:
        return assignee is not None and assignee.pk == membership.user_id
    if action in ASSIGNEE_ACTIONS:
        return ticket.assigned_to_id is not None and ticket.assigned_to_id == membership.user_id
    return True  # reopen


def _refusal(ticket: Ticket, action: str) -> TicketTransitionRefused:
    return TicketTransitionRefused(
        _('Cannot %(action)s ticket %(number)s in status "%(label)s" (%(status)s).')
        % {
            "action": TicketAction(action).label,
            "number": ticket.number,
            "label": TicketStatus(ticket.status).label,
            "status": ticket.status,
        }
    )


# --- numbers and deadlines ------------------------------------------------------------------------


def _store_zone(tenant) -> tzinfo:
    try:
        return ZoneInfo(tenant.time_zone)
    except (ZoneInfoNotFoundError, ValueError):  # a mistyped zone: the server's, as requests do
        return timezone.get_default_timezone()


def _next_ticket_number(*, tenant, now: datetime) -> str:
    """The store's next ticket number for the local year of `now`: `TKT-2025-000042`.

    The UPDATE takes the counter's row lock until the transaction ends, so concurrent creations
    number one after another; a unique constraint on (tenant, number) backs it.
    """
    year = timezone.localtime(now, _store_zone(tenant)).year
    counters = TicketNumberCounter.objects.filter(tenant=tenant, year=year)
    if not counters.update(last_number=F("last_number") + 1):
        TicketNumberCounter.objects.get_or_create(tenant=tenant, year=year)
        counters.update(last_number=F("last_number") + 1)
    number = counters.values_list("last_number", flat=True).get()
    return f"{TICKET_NUMBER_PREFIX}-{year}-{number:06d}"


def _apply_deadlines(ticket: Ticket, *, due_date: datetime | None, priority_changed: bool) -> list[str]:
    """Set the ticket's deadlines from its priority's targets (the resolution one only when no due
    date was given); the fields it changed."""
    first_response_due, resolution_due = selectors.ticket_deadlines(
        tenant=ticket.tenant, priority=ticket.priority, opened_at=ticket.created_at
    )
    changed = []
    if priority_changed and ticket.first_response_due != first_response_due:
        ticket.first_response_due = first_response_due
        changed.append("first_response_due")
    if due_date is not None:
        ticket.due_date, ticket.due_date_given = due_date, True
        changed += ["due_date", "due_date_given"]
    elif not ticket.due_date_given:
        ticket.due_date, ticket.due_date_given = resolution_due, False
        changed += ["due_date", "due_date_given"]
    return changed


# --- tickets ------------------------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    tenant,
    membership: Membership,
    subject: str,
    customer: Customer,
    description: str = "",
    category: str = TicketCategory.TECHNICAL,
    priority: str = TicketPriority.MEDIUM,
    contract=None,
    assigned_to=None,
    due_date: datetime | None = None,
    opened_at: datetime | None = None,
) -> Ticket:
    """Open a ticket in the store: a new number, deadlines from the store's service level for its
    priority (`due_date`, if given, replaces the resolution deadline; a past one is accepted), and
    the first history row. With `assigned_to`, the ticket is assigned at once (a second row).

    Preconditions: the member works tickets in `tenant`; the customer is the store's, the contract
    (optional) is the store's and that customer's; the assignee (optional) may be assigned by this
    member (see `ticket_assign`). `opened_at` backdates a ticket entered after the fact (imports).
    """
    if membership.tenant_id != tenant.pk:
        raise NotFound()
    _require_support_staff(membership)
    subject = _clean_subject(subject)
    _check_choices({"priority": priority, "category": category})
    _check_customer_and_contract(tenant=tenant, customer=customer, contract=contract)
    now = opened_at or timezone.now()
    first_response_due, resolution_due = selectors.ticket_deadlines(tenant=tenant, priority=priority, opened_at=now)
    ticket = Ticket.objects.create(
        tenant=tenant,
        number=_next_ticket_number(tenant=tenant, now=now),
        subject=subject,
        description=description or "",
        category=category,
        priority=priority,
        status=TicketStatus.NEW,
        customer=customer,
        contract=contract,
        created_by=membership.user,
        first_response_due=first_response_due,
        due_date=due_date if due_date is not None else resolution_due,
        due_date_given=due_date is not None,
        created_at=now,
    )
    ticket_history_record(ticket=ticket, actor=membership.user, action=TicketAction.CREATE, from_status="", when=now)
    if assigned_to is not None:
        ticket = _transition(
            ticket=ticket,
            membership=membership,
            action=TicketAction.ASSIGN,
            assignee=assigned_to,
            now=now,
            assignee_field="assigned_to",
        )
    return ticket


@transaction.atomic
def ticket_update(*, ticket: Ticket, membership: Membership, **fields) -> Ticket:
    """Edit a ticket's subject, description, category, priority, customer, contract, due date or
    assignee.

    A new priority recomputes the first-response deadline, and the resolution deadline unless one
    was given by hand; `due_date=None` goes back to the computed one. A new assignee is an `assign`
    (same table, rules and history); a ticket is never unassigned. Preconditions: the member works
    tickets in the ticket's store; the customer/contract rules of `ticket_create`.
    """
    _require_same_tenant(ticket, membership)
    _require_support_staff(membership)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    ticket = ticket_for_update(ticket=ticket)
    _check_choices(fields)
    changed: list[str] = []
    if "subject" in fields:
        ticket.subject = _clean_subject(fields["subject"])
        changed.append("subject")
    if "description" in fields:
        ticket.description = fields["description"] or ""
        changed.append("description")
    if "category" in fields:
        ticket.category = fields["category"]
        changed.append("category")
    if "customer" in fields or "contract" in fields:
        customer = fields.get("customer", ticket.customer)
        contract = fields.get("contract", ticket.contract)
        _check_customer_and_contract(tenant=ticket.tenant, customer=customer, contract=contract)
        ticket.customer, ticket.contract = customer, contract
        changed += ["customer", "contract"]
    priority_changed = "priority" in fields and fields["priority"] != ticket.priority
    if priority_changed:
        ticket.priority = fields["priority"]
        changed.append("priority")
    if priority_changed or "due_date" in fields:
        if "due_date" in fields and fields["due_date"] is None:
            ticket.due_date_given = False
        changed += _apply_deadlines(ticket, due_date=fields.get("due_date"), priority_changed=priority_changed)
    if changed:
        ticket.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
    if "assigned_to" in fields and fields["assigned_to"] != ticket.assigned_to:
        if fields["assigned_to"] is None:
            raise ValidationError({"assigned_to": [_("A ticket cannot be unassigned; assign it to someone else.")]})
        ticket = _transition(
            ticket=ticket,
            membership=membership,
            action=TicketAction.ASSIGN,
            assignee=fields["assigned_to"],
            assignee_field="assigned_to",
        )
    return ticket


@transaction.atomic
def ticket_delete(*, ticket: Ticket, membership: Membership) -> None:
    """Delete a ticket with its history and comments. Precondition: the member is the owner or an
    administrator of the ticket's store (everyone else closes tickets instead)."""
    _require_same_tenant(ticket, membership)
    if not membership.is_active or membership.role not in ADMINS:
        raise PermissionDenied(_("Only the owner or an administrator can delete tickets."))
    ticket.delete()


# --- transitions ----------------------------------------------------------------------------------------


def _transition(
    *,
    ticket: Ticket,
    membership: Membership,
    action: str,
    comment: str = "",
    assignee=None,
    resolution: str = "",
    now: datetime | None = None,
    assignee_field: str = "user_id",
) -> Ticket:
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError({"action": [_("Unknown action.")]})
    _require_same_tenant(ticket, membership)
    ticket = ticket_for_update(ticket=ticket)
    _require_support_staff(membership)
    # What the status allows comes first: an action the table refuses is refused to everyone alike.
    if ticket.status not in transition.sources:
        raise _refusal(ticket, action)
    if not ticket_action_allowed(ticket=ticket, membership=membership, action=action, assignee=assignee):
        if action == TicketAction.ASSIGN:
            raise PermissionDenied(_("A support agent can assign a ticket only to themselves."))
        raise PermissionDenied(_("Only the ticket's assignee or a manager can do this."))
    comment = (comment or "").strip()
    now = now or timezone.now()
    changed = ["status", "updated_at"]
    if action == TicketAction.ASSIGN:
        _check_assignee(tenant=ticket.tenant, user=assignee, field=assignee_field)
        ticket.assigned_to, ticket.assigned_at = assignee, now
        changed += ["assigned_to", "assigned_at"]
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            changed.append("first_response_at")
    elif action == TicketAction.START_WORK:
        if ticket.assigned_to_id is None:
            raise ValidationError({"assigned_to": [_("Assign the ticket to someone first.")]})
        ticket.started_at = now
        changed.append("started_at")
    elif action == TicketAction.RESOLVE:
        resolution = (resolution or "").strip()
        if not resolution:
            raise ValidationError({"resolution": [_("Say how the problem was solved.")]})
        ticket.resolution, ticket.resolved_at = resolution, now
        changed += ["resolution", "resolved_at"]
        comment = resolution
    elif action == TicketAction.CLOSE:
        ticket.closed_at = now
        changed.append("closed_at")
    elif action == TicketAction.REOPEN:
        ticket.resolved_at = ticket.closed_at = None
        ticket.reopen_count += 1
        changed += ["resolved_at", "closed_at", "reopen_count"]
    from_status = ticket.status
    ticket.status = transition.target
    ticket.save(update_fields=changed)
    ticket_history_record(
        ticket=ticket,
        actor=membership.user,
        action=action,
        from_status=from_status,
        when=now,
        comment=comment,
        assignee=ticket.assigned_to if action == TicketAction.ASSIGN else None,
    )
    return ticket


@transaction.atomic
def ticket_transition(
    *,
    ticket: Ticket,
    membership: Membership,
    action: str,
    comment: str = "",
    assignee=None,
    resolution: str = "",
    at: datetime | None = None,
) -> Ticket:
    """Move the ticket along `TRANSITIONS[action]` and record the change in its history.

    Takes the ticket's row lock first, so concurrent actions on one ticket apply one after another
    and the second sees the first's status. Refuses, changing nothing, in this order: 403 for a
    member who does not work tickets; 400 naming the current status when the table does not allow
    the action from there (whoever asks); 403 when the member may not take it on this ticket (see
    the module); 400 on a missing or unfit assignee or a blank resolution. `at`: when it happened, for events
    entered after the fact (imports, the demo); now by default.
    """
    return _transition(
        ticket=ticket,
        membership=membership,
        action=action,
        comment=comment,
        assignee=assignee,
        resolution=resolution,
        now=at,
    )


def ticket_assign(
    *, ticket: Ticket, membership: Membership, assignee, comment: str = "", at: datetime | None = None
) -> Ticket:
    """new | assigned | in_progress | reopened -> assigned, to `assignee` (an active member of the
    store who works tickets). The first assignment is the ticket's first response."""
    return ticket_transition(
        ticket=ticket, membership=membership, action=TicketAction.ASSIGN, assignee=assignee, comment=comment, at=at
    )


def ticket_start_work(
    *, ticket: Ticket, membership: Membership, comment: str = "", at: datetime | None = None
) -> Ticket:
    """assigned | reopened -> in_progress (the assignee or a manager)."""
    return ticket_transition(
        ticket=ticket, membership=membership, action=TicketAction.START_WORK, comment=comment, at=at
    )


def ticket_resolve(*, ticket: Ticket, membership: Membership, resolution: str, at: datetime | None = None) -> Ticket:
    """in_progress -> resolved, keeping the resolution's text (the assignee or a manager)."""
    return ticket_transition(
        ticket=ticket, membership=membership, action=TicketAction.RESOLVE, resolution=resolution, at=at
    )


def ticket_close(*, ticket: Ticket, membership: Membership, comment: str = "", at: datetime | None = None) -> Ticket:
    """resolved -> closed (the assignee or a manager)."""
    return ticket_transition(ticket=ticket, membership=membership, action=TicketAction.CLOSE, comment=comment, at=at)


def ticket_reopen(*, ticket: Ticket, membership: Membership, comment: str = "", at: datetime | None = None) -> Ticket:
    """resolved | closed -> reopened (any support staff); the resolution time is cleared, the
    deadlines stay, so a ticket reopened after its deadline is overdue again."""
    return ticket_transition(ticket=ticket, membership=membership, action=TicketAction.REOPEN, comment=comment, at=at)


# --- comments ------------------------------------------------------------------------------------------


@transaction.atomic
def ticket_comment_create(
    *, ticket: Ticket, membership: Membership, text: str, is_internal: bool = False, at: datetime | None = None
) -> TicketComment:
    """Add the member's reply (or, with `is_internal`, an internal note) to a ticket. The first
    reply is the ticket's first response if it had none. Precondition: the member works tickets in
    the ticket's store. `at`: when it was written (imports, the demo); now by default."""
    _require_same_tenant(ticket, membership)
    _require_support_staff(membership)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("This field may not be blank.")]})
    now = at or timezone.now()
    comment = TicketComment.objects.create(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        author=membership.user,
        text=text,
        is_internal=is_internal,
        created_at=now,
    )
    change_record(instance=comment, action=ChangeAction.CREATE, after=snapshot(comment))
    if not is_internal:
        # Only the first reply sets it; a concurrent first assignment keeps the earlier instant.
        Ticket.objects.filter(pk=ticket.pk, tenant_id=ticket.tenant_id, first_response_at__isnull=True).update(
            first_response_at=now, updated_at=now
        )
    return comment


# --- service levels ------------------------------------------------------------------------------------


def _require_owner(membership: Membership, tenant) -> None:
    if membership.tenant_id != tenant.pk:
        raise NotFound()
    if not membership.is_active or membership.role not in OWNERS:
        raise PermissionDenied(_("Only the owner can change the service levels."))


def _check_targets(first_response: int, resolution: int) -> None:
    errors = {}
    for name, value in (("first_response_minutes", first_response), ("resolution_minutes", resolution)):
        if not 1 <= value <= MAX_TARGET_MINUTES:
            errors[name] = [
                _("Enter a number of minutes from 1 to %(max)s.") % {"max": MAX_TARGET_MINUTES},
            ]
    if errors:
        raise ValidationError(errors)
    if first_response > resolution:
        raise ValidationError({"first_response_minutes": [_("The first response cannot be due after the resolution.")]})


@transaction.atomic
def service_level_set(
    *,
    tenant,
    membership: Membership,
    priority: str,
    first_response_minutes: int | None = None,
    resolution_minutes: int | None = None,
) -> ServiceLevel:
    """Set the store's targets for one priority (a target not given keeps its current value).
    Applies to tickets created or re-prioritised from now on. Precondition: the member is the owner."""
    _require_owner(membership, tenant)
    if priority not in TicketPriority.values:
        raise ValidationError({"priority": [_("Select a valid choice.")]})
    current = selectors.service_level_of(tenant=tenant, priority=priority)
    before = snapshot(current) if current.pk else None
    first_response = current.first_response_minutes if first_response_minutes is None else first_response_minutes
    resolution = current.resolution_minutes if resolution_minutes is None else resolution_minutes
    _check_targets(first_response, resolution)
    row, created = ServiceLevel.objects.update_or_create(
        tenant=tenant,
        priority=priority,
        defaults={"first_response_minutes": first_response, "resolution_minutes": resolution},
    )
    change_record(
        instance=row, action=ChangeAction.CREATE if created else ChangeAction.UPDATE, before=before, after=snapshot(row)
    )
    row.is_default = False
    return row


@transaction.atomic
def service_level_reset(*, tenant, membership: Membership, priority: str) -> ServiceLevel:
    """Go back to the default targets for one priority. Precondition: the member is the owner."""
    _require_owner(membership, tenant)
    row = ServiceLevel.objects.for_tenant(tenant).filter(priority=priority).first()
    if row is not None:
        before = snapshot(row)
        row.delete()
        row.pk = before["id"]
        change_record(instance=row, action=ChangeAction.DELETE, before=before)
    return selectors.service_level_of(tenant=tenant, priority=priority)
