"""Subscribers: a telecom operator's view of `savdo.customers.models.Customer`.

A subscriber is the same customer row every surface reads; these services add the operator's
rules on top of `savdo.customers.services` (which does the writing):
- an identity document (`document_type` + `document_number`, stored upper-case without spaces) is
  required and belongs to one subscriber of a store (the database constraint
  `customer_tenant_document_uniq` is the judge; a lost race reads as the same field error);
- the phone carries its own country code (`+996...`), whatever the store's phone region;
- the passport's issue date is not in the future;
- a subscriber with contracts is not deleted (nor one that other records refer to);
- `activate`, `suspend` and `block` move the status; moving to the status it has is refused.
"""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from savdo.customers import services as customer_services
from savdo.customers.models import Customer, CustomerStatus
from savdo.telecom.choices import DocumentType
from savdo.telecom.exceptions import RuleViolation
from savdo.telecom.models import Contract
from savdo.telecom.validators import clean_msisdn
from savdo.tenancy.models import Tenant

MSG_DOCUMENT_TAKEN = _("A subscriber with this document already exists.")
MSG_FUTURE_ISSUE_DATE = _("The issue date cannot be in the future.")

SUBSCRIBER_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "middle_name",
        "phone",
        "email",
        "document_type",
        "document_number",
        "passport_issued_by",
        "passport_issue_date",
        "address",
        "city",
        "birthday",
        "notes",
    }
)
STATUS_COMMANDS = {
    "activate": CustomerStatus.ACTIVE,
    "suspend": CustomerStatus.SUSPENDED,
    "block": CustomerStatus.BLOCKED,
}
_DOCUMENT_SPACES = re.compile(r"\s+")


def normalize_document_number(value: str) -> str:
    """How a document number is stored and compared: upper-case, no spaces (`id 123` = `ID123`)."""
    return _DOCUMENT_SPACES.sub("", str(value or "")).upper()


def _clean(tenant: Tenant, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - SUBSCRIBER_FIELDS
    if unknown:
        raise TypeError(f"Not writable subscriber fields: {sorted(unknown)}")
    errors: dict[str, list] = {}
    clean = dict(fields)
    if fields.get("phone"):
        try:
            clean["phone"] = clean_msisdn(fields["phone"])
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if "document_type" in fields and fields["document_type"] not in DocumentType.values:
        errors["document_type"] = [_("Unknown document type.")]
    if "document_number" in fields:
        clean["document_number"] = normalize_document_number(fields["document_number"])
    issued = fields.get("passport_issue_date")
    if issued is not None:
        from savdo.telecom.services import tenant_local_date

        if issued > tenant_local_date(tenant):
            errors["passport_issue_date"] = [MSG_FUTURE_ISSUE_DATE]
    if errors:
        raise ValidationError(errors)
    return clean


def _document_taken(tenant_id: int, document_type: str, document_number: str, exclude_pk: int | None) -> bool:
    if not document_number:
        return False
    others = Customer.objects.for_tenant(tenant_id).filter(document_type=document_type, document_number=document_number)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


def _write(write):
    """Run a customers service, reading the document constraint of a concurrent write as the same
    field error as the check before it."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError as exc:
        if "customer_tenant_document_uniq" in str(exc) or "customers_customer.document" in str(exc):
            raise ValidationError({"document_number": [MSG_DOCUMENT_TAKEN]}) from exc
        raise


@transaction.atomic
def subscriber_create(*, tenant: Tenant, **fields: Any) -> Customer:
    """Register a subscriber (an individual customer) with an identity document.

    Required: first and last name, phone, document type and number (the API checks their presence;
    this checks their content). Raises ValidationError {field: [messages]}; nothing is written then.
    """
    clean = _clean(tenant, fields)
    if _document_taken(tenant.pk, clean.get("document_type", ""), clean.get("document_number", ""), None):
        raise ValidationError({"document_number": [MSG_DOCUMENT_TAKEN]})
    return _write(lambda: customer_services.customer_create(tenant=tenant, **clean))


@transaction.atomic
def subscriber_update(*, customer: Customer, **fields: Any) -> Customer:
    """Change the given fields of a subscriber (same rules as `subscriber_create`)."""
    clean = _clean(customer.tenant, fields)
    document_type = clean.get("document_type", customer.document_type)
    document_number = clean.get("document_number", customer.document_number)
    if _document_taken(customer.tenant_id, document_type, document_number, customer.pk):
        raise ValidationError({"document_number": [MSG_DOCUMENT_TAKEN]})
    return _write(lambda: customer_services.customer_update(customer=customer, **clean))


@transaction.atomic
def subscriber_delete(*, customer: Customer) -> None:
    """Delete a subscriber who has no contracts (terminated ones count: they keep the history) and
    whom no other record (sales, tickets, ...) refers to."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    contracts = Contract.objects.filter(tenant_id=locked.tenant_id, customer=locked).count()
    if contracts:
        raise RuleViolation(
            _("Subscriber %(name)s has %(count)d contract(s) and cannot be deleted.")
            % {"name": locked.full_name, "count": contracts}
        )
    try:
        with transaction.atomic():
            locked.delete()
    except (models.ProtectedError, models.RestrictedError) as exc:
        raise RuleViolation(
            _("Subscriber %(name)s is referred to by other records (sales, tickets) and cannot be deleted.")
            % {"name": locked.full_name}
        ) from exc


def _change_status(customer: Customer, command: str) -> Customer:
    target = STATUS_COMMANDS[command]
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.status == target:
        raise RuleViolation(
            _("Subscriber %(name)s is already %(status)s.") % {"name": locked.full_name, "status": locked.status}
        )
    return customer_services.customer_change_status(customer=locked, status=target)


@transaction.atomic
def subscriber_activate(*, customer: Customer) -> Customer:
    """Make the subscriber active (from any other status)."""
    return _change_status(customer, "activate")


@transaction.atomic
def subscriber_suspend(*, customer: Customer) -> Customer:
    """Suspend the subscriber's service. Their contracts keep their own statuses (suspend those
    separately); a suspended subscriber may still sign and activate contracts."""
    return _change_status(customer, "suspend")


@transaction.atomic
def subscriber_block(*, customer: Customer) -> Customer:
    """Block the subscriber: no new contracts, no activation of their drafts."""
    return _change_status(customer, "block")
