"""Writes of the CRM: deals (create, edit, status moves, delete), activities, and deleting a customer
from the CRM's side.

Rules every caller gets:
- a deal's or activity's customer is a customer of the same store (anything else reads as "not
  found", whether it exists elsewhere or nowhere);
- a deal's status moves only along `savdo.crm.choices.DEAL_TRANSITIONS`; every move, and the status
  a deal is created in, is recorded as a `DealStatusChange` (who, when, from, to);
- moving into `completed` or `cancelled` stamps `closed_at` with the moment (the sales analytics
  count a completed deal on that day); reopening clears it;
- creating a deal, closing it and reopening it each add an activity of type `deal` for its customer,
  written in the store's language, so the customer's timeline shows the deal's life;
- a customer with deals is not deleted (409): their completed deals are the store's sales history.

Errors: `django.core.exceptions.ValidationError` keyed by model field name (400 on every surface),
`CustomerInUse` (409).
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status as http
from rest_framework.exceptions import APIException

from savdo.core.money import ZERO, money
from savdo.crm.choices import CLOSED_STATUSES, ActivityType, DealStatus, deal_move_allowed
from savdo.crm.lock_objects import customer_for_link, deal_for_update
from savdo.crm.models import Activity, Deal, DealStatusChange
from savdo.customers.models import Customer
from savdo.tenancy.models import Tenant

MSG_CUSTOMER_NOT_FOUND = gettext_lazy("Customer not found.")
MSG_BLANK = gettext_lazy("This field may not be blank.")
MSG_NEGATIVE = gettext_lazy("The value cannot be negative.")
MSG_UNKNOWN_STATUS = gettext_lazy("Unknown deal status.")
MSG_UNKNOWN_TYPE = gettext_lazy("Unknown activity type.")
MSG_MOVE_REFUSED = gettext_lazy("A deal cannot move from “%(source)s” to “%(target)s”.")
MSG_CUSTOMER_REFERRED = gettext_lazy(
    "Other records (sales, contracts, ...) refer to this customer; it cannot be deleted."
)

DEAL_EDITABLE_FIELDS = frozenset({"title", "description", "value", "customer", "status"})
TITLE_MAX_LENGTH = Deal._meta.get_field("title").max_length


class CustomerInUse(APIException):
    """Deleting a customer that deals (or sales, or other records) still refer to."""

    status_code = http.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = gettext_lazy("This customer has deals and cannot be deleted; delete their deals first.")


# --- helpers ---------------------------------------------------------------------------------------


def _linked_customer(tenant_id: int, customer: Customer | int | None) -> Customer:
    """The store's customer, locked against deletion until the transaction ends (400 if not ours)."""
    customer_id = customer.pk if isinstance(customer, Customer) else customer
    found = customer_for_link(tenant_id=tenant_id, customer_id=customer_id) if customer_id else None
    if found is None:
        raise ValidationError({"customer": [MSG_CUSTOMER_NOT_FOUND]})
    return found


def _clean_title(title: Any) -> str:
    text = ("" if title is None else str(title)).strip()
    if not text:
        raise ValidationError({"title": [MSG_BLANK]})
    if len(text) > TITLE_MAX_LENGTH:
        raise ValidationError(
            {"title": [_("Ensure this field has no more than %(max)d characters.") % {"max": TITLE_MAX_LENGTH}]}
        )
    return text


def _clean_value(value: Any) -> Decimal:
    amount = money(ZERO if value is None else value)
    if amount < 0:
        raise ValidationError({"value": [MSG_NEGATIVE]})
    return amount


def _check_status(status: str) -> None:
    if status not in DealStatus.values:
        raise ValidationError({"status": [MSG_UNKNOWN_STATUS]})


def _status_label(status: str) -> str:
    return str(DealStatus(status).label) if status in DealStatus.values else status


def _deal_event_text(deal: Deal, status: str, *, created: bool) -> str | None:
    """The description of the `deal` activity a move into `status` adds (None: none)."""
    if created:
        return _("Deal created: %(title)s") % {"title": deal.title}
    if status == DealStatus.COMPLETED:
        return _("Deal completed: %(title)s") % {"title": deal.title}
    if status == DealStatus.CANCELLED:
        return _("Deal cancelled: %(title)s") % {"title": deal.title}
    return None


def _deal_activity(deal: Deal, text: str, actor, moment) -> Activity:
    return Activity.objects.create(
        tenant_id=deal.tenant_id,
        type=ActivityType.DEAL,
        description=text,
        customer_id=deal.customer_id,
        deal=deal,
        created_by=actor,
        created_at=moment,
    )


def _record_move(deal: Deal, *, source: str, actor, moment) -> DealStatusChange:
    return DealStatusChange.objects.create(
        tenant_id=deal.tenant_id,
        deal=deal,
        from_status=source,
        to_status=deal.status,
        changed_by=actor,
        changed_at=moment,
    )


def _store_language(tenant_id: int) -> str:
    return Tenant.objects.filter(pk=tenant_id).values_list("language", flat=True).first() or ""


def _deal_events(deal: Deal, *, source: str, actor, moment, language: str) -> None:
    """The status history row and the `deal` activities of a deal that just entered its status from
    `source` ("" for a new deal)."""
    _record_move(deal, source=source, actor=actor, moment=moment)
    texts = []
    with translation.override(language or None):
        if not source:
            texts.append(_deal_event_text(deal, deal.status, created=True))
        if deal.status in CLOSED_STATUSES:
            texts.append(_deal_event_text(deal, deal.status, created=False))
        elif source in CLOSED_STATUSES:
            texts.append(_("Deal reopened: %(title)s") % {"title": deal.title})
    for text in texts:
        if text:
            _deal_activity(deal, text, actor, moment)


def _check_move(source: str, target: str) -> None:
    _check_status(target)
    if not deal_move_allowed(source, target):
        raise ValidationError(
            {"status": [MSG_MOVE_REFUSED % {"source": _status_label(source), "target": _status_label(target)}]}
        )


# --- deals -----------------------------------------------------------------------------------------


@transaction.atomic
def deal_create(
    *,
    tenant: Tenant,
    title: str,
    customer: Customer | int,
    description: str = "",
    value: Decimal | int | str | None = ZERO,
    status: str = DealStatus.NEW,
    actor=None,
) -> Deal:
    """Create a deal of `tenant` for `customer` (a customer of the same store, or its id).

    A deal may be created in any status (003's default: `new`); created closed, it is stamped
    `closed_at` now. Records the first status row and the `deal` activities (see the module).
    `actor` is the user acting (None for system writes). Raises ValidationError; nothing is written then.
    """
    errors: dict[str, list] = {}
    clean: dict[str, Any] = {}
    for name, check, raw in (("title", _clean_title, title), ("value", _clean_value, value)):
        try:
            clean[name] = check(raw)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        _check_status(status)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        linked = _linked_customer(tenant.pk, customer)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    deal = Deal.objects.create(
        tenant=tenant,
        title=clean["title"],
        description=(description or "").strip(),
        value=clean["value"],
        status=status,
        customer=linked,
        created_by=actor,
        closed_at=now if status in CLOSED_STATUSES else None,
        created_at=now,
    )
    _deal_events(deal, source="", actor=actor, moment=now, language=tenant.language)
    return deal


@transaction.atomic
def deal_change_status(*, deal: Deal, status: str, actor=None) -> Deal:
    """Move `deal` to `status` along `DEAL_TRANSITIONS` (moving to the status it has changes nothing).

    Locks the deal's row, so concurrent moves apply one after the other and each sees the status the
    previous one left. Stamps or clears `closed_at`, records the move and its `deal` activity.
    Raises ValidationError {"status": [...]} for an unknown status or a move the table refuses.
    """
    locked = deal_for_update(deal=deal)
    _move(locked, status, actor)
    return locked


def _move(locked: Deal, status: str, actor) -> bool:
    """Move a locked deal (saving it); False when it already is in `status`."""
    source = locked.status
    _check_move(source, status)
    if status == source:
        return False
    now = timezone.now()
    locked.status = status
    locked.closed_at = now if status in CLOSED_STATUSES else None
    locked.save(update_fields=["status", "closed_at", "updated_at"])
    _deal_events(locked, source=source, actor=actor, moment=now, language=_store_language(locked.tenant_id))
    return True


@transaction.atomic
def deal_update(*, deal: Deal, actor=None, **fields: Any) -> Deal:
    """Change the given fields of `deal` (title, description, value, customer, status); the others
    keep their values.

    A new customer must be a customer of the deal's store. A status change follows
    `deal_change_status`'s rules. Locks the deal's row. Raises ValidationError (all fields' problems
    at once); nothing is written then.
    """
    unknown = set(fields) - DEAL_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Not editable deal fields: {sorted(unknown)}")
    locked = deal_for_update(deal=deal)
    errors: dict[str, list] = {}
    changes: dict[str, Any] = {}
    checks = {"title": _clean_title, "value": _clean_value}
    for name, check in checks.items():
        if name in fields:
            try:
                changes[name] = check(fields[name])
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if "description" in fields:
        changes["description"] = (fields["description"] or "").strip()
    if "customer" in fields:
        try:
            changes["customer"] = _linked_customer(locked.tenant_id, fields["customer"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    status = fields.get("status")
    if status is not None:
        try:
            _check_move(locked.status, status)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, changes[name])
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    if status is not None:
        _move(locked, status, actor)
    return locked


@transaction.atomic
def deal_delete(*, deal: Deal) -> None:
    """Delete `deal` with its status history; its `deal` activities stay on the customer's timeline
    (without the link to the deal)."""
    deal_for_update(deal=deal).delete()


# --- activities ------------------------------------------------------------------------------------


@transaction.atomic
def activity_create(
    *, tenant: Tenant, type: str, description: str, customer: Customer | int, deal: Deal | None = None, actor=None
) -> Activity:
    """Record an activity with a customer of `tenant` (`deal`, if given, a deal of the same customer).

    Raises ValidationError for an unknown type, a blank description or a customer (or deal) that is
    not the store's; nothing is written then.
    """
    errors: dict[str, list] = {}
    if type not in ActivityType.values:
        errors["type"] = [MSG_UNKNOWN_TYPE]
    text = (description or "").strip()
    if not text:
        errors["description"] = [MSG_BLANK]
    linked = None
    try:
        linked = _linked_customer(tenant.pk, customer)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if deal is not None and (deal.tenant_id != tenant.pk or (linked is not None and deal.customer_id != linked.pk)):
        errors["deal"] = [gettext_lazy("Deal not found.")]
    if errors:
        raise ValidationError(errors)
    return Activity.objects.create(
        tenant=tenant, type=type, description=text, customer=linked, deal=deal, created_by=actor
    )


# --- customers -------------------------------------------------------------------------------------


@transaction.atomic
def customer_delete(*, customer: Customer) -> None:
    """Delete `customer` with their activities.

    Refused (CustomerInUse, 409) while they have deals, or while other records that must outlive
    them (sales, contracts, ...) refer to them; nothing is deleted then. The customer's row is locked
    first, so no deal can be written for them in between.
    """
    locked = Customer.objects.select_for_update().filter(pk=customer.pk, tenant_id=customer.tenant_id).first()
    if locked is None:
        return
    if Deal.objects.filter(customer_id=locked.pk).exists():
        raise CustomerInUse()
    try:
        with transaction.atomic():
            locked.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise CustomerInUse(MSG_CUSTOMER_REFERRED) from exc
