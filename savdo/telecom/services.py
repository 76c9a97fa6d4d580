"""Telecom writes: tariffs, SIM cards, contracts and their state machine, payments and the balance.

Rules every function here keeps:
- state changes follow `savdo.telecom.transitions`; a refused command raises `RuleViolation` naming
  the current status, and nothing changes;
- a contract's `balance` moves only through `_move_balance`, under the contract's row lock, together
  with one `BalanceEntry` (append-only) in the same transaction, so the balance always equals the
  sum of its ledger; a prepaid contract never goes below zero, a postpaid one not below minus its
  credit limit (checked when money moves: a pending charge may be recorded whatever the balance);
- locks are taken in the order of `savdo.telecom.lock_objects` (payment, contract, SIMs);
- uniqueness (contract number, ICCID/IMSI/MSISDN, transaction id, tariff name) is checked with a
  field message and backed by a database constraint; a lost race reads the same.
"""

import secrets
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.audit.models import ChangeAction
from savdo.audit.services import change_record, snapshot
from savdo.core.money import ZERO, money
from savdo.customers.models import Customer, CustomerStatus
from savdo.telecom import lock_objects, validators
from savdo.telecom.choices import (
    ContractStatus,
    EntryKind,
    PaymentMethod,
    PaymentStatus,
    SimStatus,
    TariffType,
    TransactionType,
)
from savdo.telecom.exceptions import RuleViolation
from savdo.telecom.models import BalanceEntry, Contract, ContractNumberCounter, Payment, SimCard, Tariff
from savdo.telecom.transitions import (
    CONTRACT_EDITABLE_STATUSES,
    CONTRACT_MONEY_STATUSES,
    CONTRACT_SIM_STATUSES,
    PAYMENT_DELETABLE_STATUSES,
    PAYMENT_EDITABLE_STATUSES,
    target_status,
)
from savdo.tenancy.models import Tenant

CONTRACT_NUMBER_PREFIX = "CTR"
TRANSACTION_ID_PREFIX = "TXN"

MSG_TARIFF_NAME_TAKEN = _("A tariff with this name already exists.")
MSG_ICCID_TAKEN = _("A SIM card with this ICCID already exists.")
MSG_IMSI_TAKEN = _("A SIM card with this IMSI already exists.")
MSG_MSISDN_TAKEN = _("A SIM card with this MSISDN already exists.")
MSG_TRANSACTION_ID_TAKEN = _("A payment with this transaction id already exists.")
MSG_AMOUNT = _("Enter a positive amount with at most two decimal places.")
MSG_NOT_NEGATIVE = _("Enter a number that is not negative.")

CONTRACT_COMMAND_MESSAGES = {
    "activate": _("Contract %(number)s is %(status)s: only a draft contract can be activated."),
    "suspend": _("Contract %(number)s is %(status)s: only an active contract can be suspended."),
    "resume": _("Contract %(number)s is %(status)s: only a suspended contract can be resumed."),
    "terminate": _("Contract %(number)s is already terminated."),
}
SIM_COMMAND_MESSAGES = {
    "activate": _("SIM card %(iccid)s is %(status)s: it is already active."),
    "deactivate": _("SIM card %(iccid)s is %(status)s: only an active SIM card can be deactivated."),
    "block": _("SIM card %(iccid)s is already blocked."),
}
PAYMENT_COMMAND_MESSAGES = {
    "process": _("Payment %(txn)s is %(status)s: only a pending payment can be processed."),
    "cancel": _("Payment %(txn)s is %(status)s: only a pending payment can be cancelled."),
    "fail": _("Payment %(txn)s is %(status)s: only a pending payment can be marked as failed."),
    "refund": _("Payment %(txn)s is %(status)s: only a successful payment can be refunded."),
}

TARIFF_FIELDS = frozenset(
    {"name", "description", "tariff_type", "monthly_fee", "minutes", "sms", "data_mb", "credit_limit", "priority"}
)
SIM_FIELDS = frozenset({"iccid", "imsi", "msisdn", "notes"})
CONTRACT_FIELDS = frozenset({"customer", "tariff", "start_date", "end_date", "credit_limit", "notes"})
PAYMENT_FIELDS = frozenset(
    {"contract", "transaction_type", "payment_method", "amount", "transaction_id", "description"}
)


# --- shared helpers -----------------------------------------------------------------------------


def _check_fields(fields: dict[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = set(fields) - allowed
    if unknown:
        # A programming error (a surface passing a read-only field), not a client's.
        raise TypeError(f"Not writable {what} fields: {sorted(unknown)}")


def _check_amount(amount: Any, field: str = "amount") -> Decimal:
    """A money amount that moves money: positive, two decimals at most."""
    try:
        value = Decimal(str(amount))
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise ValidationError({field: [MSG_AMOUNT]}) from exc
    if not value.is_finite() or value <= 0 or value != money(value) or value > Decimal("999999999999.99"):
        raise ValidationError({field: [MSG_AMOUNT]})
    return money(value)


def _check_not_negative(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise ValidationError({field: [MSG_NOT_NEGATIVE]}) from exc
    if not amount.is_finite() or amount < 0 or amount != money(amount):
        raise ValidationError({field: [MSG_NOT_NEGATIVE]})
    return money(amount)


def _check_same_tenant(tenant_id: int, **objects: models.Model | None) -> None:
    """Related rows must belong to the row's store (the API scopes ids; this guards other callers)."""
    for name, obj in objects.items():
        if obj is not None and obj.tenant_id != tenant_id:
            raise ValidationError({name: [_("Not found.")]})


def tenant_local_date(tenant: Tenant, now=None) -> date:
    """Today in the store's time zone."""
    try:
        zone = ZoneInfo(tenant.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_default_timezone()
    return timezone.localtime(now or timezone.now(), zone).date()


# --- tariffs ------------------------------------------------------------------------------------


def _save_tariff(tariff: Tariff) -> Tariff:
    errors: dict[str, list] = {}
    tariff.name = (tariff.name or "").strip()
    if not tariff.name:
        errors["name"] = [_("This field may not be blank.")]
    if tariff.tariff_type not in TariffType.values:
        errors["tariff_type"] = [_("Unknown tariff type.")]
    for field in ("monthly_fee", "credit_limit"):
        try:
            setattr(tariff, field, _check_not_negative(getattr(tariff, field), field))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    taken = Tariff.objects.for_tenant(tariff.tenant_id).filter(name=tariff.name).exclude(pk=tariff.pk).exists()
    if tariff.name and taken:
        errors.setdefault("name", []).append(MSG_TARIFF_NAME_TAKEN)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            tariff.save()
    except IntegrityError as exc:
        if "tariff_tenant_name_uniq" in str(exc) or "telecom_tariff.name" in str(exc):
            raise ValidationError({"name": [MSG_TARIFF_NAME_TAKEN]}) from exc
        raise
    return tariff


@transaction.atomic
def tariff_create(*, tenant: Tenant, is_active: bool = True, **fields: Any) -> Tariff:
    """Create a tariff (name unique in the store; fee and credit limit not negative; allowances
    null = unlimited). Raises ValidationError; nothing is written then."""
    _check_fields(fields, TARIFF_FIELDS, "tariff")
    tariff = Tariff(tenant=tenant, is_active=is_active)
    for name, value in fields.items():
        setattr(tariff, name, value)
    return _save_tariff(tariff)


@transaction.atomic
def tariff_update(*, tariff: Tariff, is_active: bool | None = None, **fields: Any) -> Tariff:
    """Change the given fields of `tariff`. Its type cannot change while contracts use it (their
    balance rule would change under them). Raises ValidationError."""
    _check_fields(fields, TARIFF_FIELDS, "tariff")
    locked = Tariff.objects.select_for_update().get(pk=tariff.pk)
    new_type = fields.get("tariff_type", locked.tariff_type)
    if new_type != locked.tariff_type and Contract.objects.filter(tenant_id=locked.tenant_id, tariff=locked).exists():
        raise ValidationError({"tariff_type": [_("The type of a tariff that contracts use cannot change.")]})
    for name, value in fields.items():
        setattr(locked, name, value)
    if is_active is not None:
        locked.is_active = is_active
    return _save_tariff(locked)


@transaction.atomic
def tariff_delete(*, tariff: Tariff) -> None:
    """Delete a tariff no contract uses; a tariff in use is refused (deactivate it instead)."""
    locked = Tariff.objects.select_for_update().get(pk=tariff.pk)
    used = Contract.objects.filter(tenant_id=locked.tenant_id, tariff=locked).count()
    if used:
        raise RuleViolation(
            _("Tariff %(name)s is used by %(count)d contract(s) and cannot be deleted; deactivate it instead.")
            % {"name": locked.name, "count": used}
        )
    locked.delete()


def _tariff_set_active(tariff: Tariff, active: bool) -> Tariff:
    locked = Tariff.objects.select_for_update().get(pk=tariff.pk)
    if locked.is_active == active:
        message = _("Tariff %(name)s is already active.") if active else _("Tariff %(name)s is already inactive.")
        raise RuleViolation(message % {"name": locked.name})
    locked.is_active = active
    locked.save(update_fields=["is_active", "updated_at"])
    return locked


@transaction.atomic
def tariff_activate(*, tariff: Tariff) -> Tariff:
    """Offer the tariff again (new contracts may use it)."""
    return _tariff_set_active(tariff, True)


@transaction.atomic
def tariff_deactivate(*, tariff: Tariff) -> Tariff:
    """Stop offering the tariff: contracts on it keep it, new ones cannot choose it."""
    return _tariff_set_active(tariff, False)


# --- SIM cards ----------------------------------------------------------------------------------

SIM_UNIQUE = (
    ("iccid", "simcard_tenant_iccid_uniq", MSG_ICCID_TAKEN),
    ("imsi", "simcard_tenant_imsi_uniq", MSG_IMSI_TAKEN),
    ("msisdn", "simcard_tenant_msisdn_uniq", MSG_MSISDN_TAKEN),
)
SIM_CLEANERS = {"iccid": validators.clean_iccid, "imsi": validators.clean_imsi, "msisdn": validators.clean_msisdn}


def _save_sim(sim: SimCard, fields: dict[str, Any]) -> SimCard:
    errors: dict[str, list] = {}
    for name, value in fields.items():
        if name in SIM_CLEANERS:
            try:
                value = SIM_CLEANERS[name](value)
            except ValidationError as exc:
                errors[name] = exc.messages
                continue
        elif name == "notes":
            value = (value or "").strip()
        setattr(sim, name, value)
    others = SimCard.objects.for_tenant(sim.tenant_id).exclude(pk=sim.pk)
    for field, _constraint, message in SIM_UNIQUE:
        if field not in errors and field in fields and others.filter(**{field: getattr(sim, field)}).exists():
            errors[field] = [message]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            sim.save()
    except IntegrityError as exc:
        for field, constraint, message in SIM_UNIQUE:
            if constraint in str(exc) or f"telecom_simcard.{field}" in str(exc):
                raise ValidationError({field: [message]}) from exc
        raise
    return sim


@transaction.atomic
def sim_create(*, tenant: Tenant, iccid: str, imsi: str, msisdn: str, notes: str = "") -> SimCard:
    """Add a SIM card to the store's stock, free. ICCID (Luhn), IMSI and MSISDN (E.164) are
    validated and unique in the store. Raises ValidationError."""
    sim = SimCard(tenant=tenant, status=SimStatus.FREE)
    return _save_sim(sim, {"iccid": iccid, "imsi": imsi, "msisdn": msisdn, "notes": notes})


@transaction.atomic
def sim_update(*, sim: SimCard, **fields: Any) -> SimCard:
    """Correct a SIM card's identifiers or notes (its status moves only by commands)."""
    _check_fields(fields, SIM_FIELDS, "SIM card")
    locked = lock_objects.sim_for_update(tenant_id=sim.tenant_id, sim_id=sim.pk)
    return _save_sim(locked, fields)


@transaction.atomic
def sim_delete(*, sim: SimCard) -> None:
    """Remove a SIM card from stock: only one bound to no contract and not active."""
    locked = lock_objects.sim_for_update(tenant_id=sim.tenant_id, sim_id=sim.pk)
    if locked.contract_id is not None or locked.status == SimStatus.ACTIVE:
        raise RuleViolation(
            _("SIM card %(iccid)s is %(status)s and bound to a contract: it cannot be deleted.")
            % {"iccid": locked.iccid, "status": locked.status}
        )
    locked.delete()


def _sim_refused(sim: SimCard, command: str) -> RuleViolation:
    return RuleViolation(SIM_COMMAND_MESSAGES[command] % {"iccid": sim.iccid, "status": sim.status})


def _bind_sim(sim: SimCard, contract: Contract, now) -> None:
    """Make the locked `sim` active on the locked `contract` (the caller checked both)."""
    sim.status = SimStatus.ACTIVE
    sim.contract = contract
    sim.activated_at = now
    sim.save(update_fields=["status", "contract", "activated_at", "updated_at"])


@transaction.atomic
def sim_activate(*, sim: SimCard, contract: Contract | None = None) -> SimCard:
    """Activate a SIM card on `contract` (draft or active). A free or blocked SIM without a
    contract needs one; an inactive or blocked SIM still bound to a contract is re-activated on
    it (naming another contract is refused: terminate or free it first)."""
    _check_same_tenant(sim.tenant_id, contract_id=contract)
    contract_id = contract.pk if contract is not None else sim.contract_id
    locked_contract = None
    if contract_id is not None:
        locked_contract = lock_objects.contract_for_update(tenant_id=sim.tenant_id, contract_id=contract_id)
    locked = lock_objects.sim_for_update(tenant_id=sim.tenant_id, sim_id=sim.pk)
    if target_status("sim", "activate", locked.status) is None:
        raise _sim_refused(locked, "activate")
    if locked_contract is None:
        raise ValidationError({"contract_id": [_("Name the contract to activate this SIM card on.")]})
    if locked.contract_id is not None and locked.contract_id != locked_contract.pk:
        raise RuleViolation(
            _("SIM card %(iccid)s is bound to another contract.") % {"iccid": locked.iccid},
        )
    if locked_contract.status not in CONTRACT_SIM_STATUSES:
        raise RuleViolation(
            _("Contract %(number)s is %(status)s: a SIM card can be bound only to a draft or active contract.")
            % {"number": locked_contract.number, "status": locked_contract.status}
        )
    _bind_sim(locked, locked_contract, timezone.now())
    return locked


@transaction.atomic
def sim_deactivate(*, sim: SimCard) -> SimCard:
    """Switch an active SIM card off; it stays bound to its contract (activate brings it back)."""
    locked = lock_objects.sim_for_update(tenant_id=sim.tenant_id, sim_id=sim.pk)
    if target_status("sim", "deactivate", locked.status) is None:
        raise _sim_refused(locked, "deactivate")
    locked.status = SimStatus.INACTIVE
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def sim_block(*, sim: SimCard) -> SimCard:
    """Block a SIM card (lost, stolen, fraud); it keeps its contract until that is terminated."""
    locked = lock_objects.sim_for_update(tenant_id=sim.tenant_id, sim_id=sim.pk)
    if target_status("sim", "block", locked.status) is None:
        raise _sim_refused(locked, "block")
    locked.status = SimStatus.BLOCKED
    locked.save(update_fields=["status", "updated_at"])
    return locked


# --- contracts ----------------------------------------------------------------------------------


def _bump_contract_counter(tenant_id: int, year: int) -> int | None:
    """The store's counter for `year` plus one, under its row lock; None when there is none yet."""
    counters = ContractNumberCounter.objects.filter(tenant_id=tenant_id, year=year)
    if not counters.update(last_number=F("last_number") + 1):
        return None
    return counters.values_list("last_number", flat=True).get()


def contract_next_number(*, tenant: Tenant, year: int | None = None) -> str:
    """The next `CTR-YYYY-NNNNNN` of the store (run inside the transaction that uses it).

    `last_number + 1` in one UPDATE: concurrent callers queue on the counter's row lock, each reads
    its own number; the unique (tenant, number) constraint is the judge behind it.
    """
    year = year or tenant_local_date(tenant).year
    number = _bump_contract_counter(tenant.pk, year)
    if number is None:
        try:
            with transaction.atomic():
                ContractNumberCounter.objects.create(tenant=tenant, year=year, last_number=0)
        except IntegrityError:
            pass  # another request created it first
        number = _bump_contract_counter(tenant.pk, year)
    return f"{CONTRACT_NUMBER_PREFIX}-{year}-{number:06d}"


def _contract_errors(contract: Contract) -> dict[str, list]:
    errors: dict[str, list] = {}
    if contract.end_date and contract.start_date and contract.end_date < contract.start_date:
        errors["end_date"] = [_("The end date cannot be before the start date.")]
    if contract.credit_limit is not None:
        try:
            contract.credit_limit = _check_not_negative(contract.credit_limit, "credit_limit")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    return errors


@transaction.atomic
def contract_create(
    *,
    tenant: Tenant,
    customer: Customer,
    tariff: Tariff,
    start_date: date | None = None,
    end_date: date | None = None,
    credit_limit: Decimal | None = None,
    notes: str = "",
) -> Contract:
    """Sign a draft contract of `customer` on an active `tariff`, numbered `CTR-YYYY-NNNNNN`
    (unique in the store, safe under concurrency). A blocked subscriber cannot sign one.
    Raises ValidationError; nothing is written then."""
    _check_same_tenant(tenant.pk, customer=customer, tariff=tariff)
    errors: dict[str, list] = {}
    if customer.status == CustomerStatus.BLOCKED:
        errors["customer"] = [_("This subscriber is blocked.")]
    if not tariff.is_active:
        errors["tariff"] = [_("This tariff is not active.")]
    contract = Contract(
        tenant=tenant,
        customer=customer,
        tariff=tariff,
        start_date=start_date or tenant_local_date(tenant),
        end_date=end_date,
        credit_limit=credit_limit,
        notes=(notes or "").strip(),
        status=ContractStatus.DRAFT,
    )
    errors.update(_contract_errors(contract))
    if errors:
        raise ValidationError(errors)
    contract.number = contract_next_number(tenant=tenant)
    contract.save()
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, **fields: Any) -> Contract:
    """Change a contract's terms. A terminated contract is not edited; the subscriber changes only
    while it is a draft; a new tariff must be active; the new terms must allow the current balance
    (no prepaid tariff under a debt, no credit limit under it). Status and balance move only by
    commands."""
    _check_fields(fields, CONTRACT_FIELDS, "contract")
    locked = lock_objects.contract_for_update(tenant_id=contract.tenant_id, contract_id=contract.pk)
    if locked.status not in CONTRACT_EDITABLE_STATUSES:
        raise RuleViolation(
            _("Contract %(number)s is %(status)s: it cannot be edited.")
            % {"number": locked.number, "status": locked.status}
        )
    _check_same_tenant(locked.tenant_id, customer=fields.get("customer"), tariff=fields.get("tariff"))
    errors: dict[str, list] = {}
    customer = fields.get("customer")
    if customer is not None and customer.pk != locked.customer_id:
        if locked.status != ContractStatus.DRAFT:
            errors["customer"] = [_("The subscriber of a contract changes only while it is a draft.")]
        elif customer.status == CustomerStatus.BLOCKED:
            errors["customer"] = [_("This subscriber is blocked.")]
    tariff = fields.get("tariff")
    if tariff is not None and tariff.pk != locked.tariff_id and not tariff.is_active:
        errors["tariff"] = [_("This tariff is not active.")]
    for name, value in fields.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    errors.update(_contract_errors(locked))
    if not errors and locked.balance < contract_balance_floor(locked):
        # New terms may not put the balance below what they allow (a postpaid debt onto a prepaid
        # tariff, a credit limit under the debt): the subscriber pays first.
        field = "tariff" if "tariff" in fields and fields["tariff"].pk != contract.tariff_id else "credit_limit"
        errors[field] = [
            _("The balance %(balance)s is below what these terms allow (%(floor)s).")
            % {"balance": locked.balance, "floor": contract_balance_floor(locked)}
        ]
    if errors:
        raise ValidationError(errors)
    locked.save()
    return locked


@transaction.atomic
def contract_delete(*, contract: Contract) -> None:
    """Delete a draft contract that never moved money and holds no SIM card; any other contract
    is refused (terminate it instead: its history stays)."""
    locked = lock_objects.contract_for_update(tenant_id=contract.tenant_id, contract_id=contract.pk)
    in_use = (
        locked.status != ContractStatus.DRAFT
        or SimCard.objects.filter(tenant_id=locked.tenant_id, contract=locked).exists()
        or Payment.objects.filter(tenant_id=locked.tenant_id, contract=locked).exists()
        or BalanceEntry.objects.filter(tenant_id=locked.tenant_id, contract=locked).exists()
    )
    if in_use:
        raise RuleViolation(
            _(
                "Contract %(number)s is %(status)s or has SIM cards or payments: it cannot be deleted; "
                "terminate it instead."
            )
            % {"number": locked.number, "status": locked.status}
        )
    try:
        with transaction.atomic():
            locked.delete()
    except (models.ProtectedError, models.RestrictedError) as exc:
        raise RuleViolation(
            _("Contract %(number)s is referred to by other records and cannot be deleted.") % {"number": locked.number}
        ) from exc


def _contract_move(contract: Contract, command: str) -> tuple[Contract, str]:
    """The contract locked, and the status `command` moves it to (or a refusal naming its status)."""
    locked = lock_objects.contract_for_update(tenant_id=contract.tenant_id, contract_id=contract.pk)
    target = target_status("contract", command, locked.status)
    if target is None:
        raise RuleViolation(CONTRACT_COMMAND_MESSAGES[command] % {"number": locked.number, "status": locked.status})
    return locked, target


@transaction.atomic
def contract_activate(*, contract: Contract, sim: SimCard | None = None) -> Contract:
    """Activate a draft contract with a free SIM card, bound and made active in the same
    transaction. Without `sim` the contract must already hold an active SIM card. The subscriber
    must not be blocked and the tariff must be active."""
    _check_same_tenant(contract.tenant_id, sim_id=sim)
    locked, target = _contract_move(contract, "activate")
    if locked.customer.status == CustomerStatus.BLOCKED:
        raise RuleViolation(_("The subscriber of contract %(number)s is blocked.") % {"number": locked.number})
    if not locked.tariff.is_active:
        raise RuleViolation(
            _("Tariff %(name)s of contract %(number)s is not active.")
            % {"name": locked.tariff.name, "number": locked.number}
        )
    now = timezone.now()
    if sim is not None:
        locked_sim = lock_objects.sim_for_update(tenant_id=locked.tenant_id, sim_id=sim.pk)
        if locked_sim.status != SimStatus.FREE:
            raise RuleViolation(
                _("SIM card %(iccid)s is %(status)s: only a free SIM card can be bound to a contract.")
                % {"iccid": locked_sim.iccid, "status": locked_sim.status}
            )
        _bind_sim(locked_sim, locked, now)
    elif not SimCard.objects.filter(tenant_id=locked.tenant_id, contract=locked, status=SimStatus.ACTIVE).exists():
        raise ValidationError({"sim_id": [_("Activating a contract needs a free SIM card.")]})
    locked.status = target
    locked.activated_at = now
    locked.save(update_fields=["status", "activated_at", "updated_at"])
    return locked


@transaction.atomic
def contract_suspend(*, contract: Contract) -> Contract:
    """Suspend an active contract (service paused; its SIM cards and balance stay)."""
    locked, target = _contract_move(contract, "suspend")
    locked.status = target
    locked.suspended_at = timezone.now()
    locked.save(update_fields=["status", "suspended_at", "updated_at"])
    return locked


@transaction.atomic
def contract_resume(*, contract: Contract) -> Contract:
    """Resume a suspended contract."""
    locked, target = _contract_move(contract, "resume")
    locked.status = target
    locked.suspended_at = None
    locked.save(update_fields=["status", "suspended_at", "updated_at"])
    return locked


@transaction.atomic
def contract_terminate(*, contract: Contract) -> Contract:
    """Close a contract for good (no way back) and free its SIM cards: back to stock unbound (a
    blocked card stays blocked, unbound). The balance and the ledger stay as they are."""
    locked, target = _contract_move(contract, "terminate")
    now = timezone.now()
    sims = list(lock_objects.contract_sims_for_update(contract=locked))
    for sim in sims:
        before = snapshot(sim, ["status", "contract"])
        if sim.status != SimStatus.BLOCKED:
            sim.status = SimStatus.FREE
        sim.contract = None
        sim.activated_at = None
        sim.save(update_fields=["status", "contract", "activated_at", "updated_at"])
        change_record(instance=sim, action="release", before=before, after=snapshot(sim, ["status", "contract"]))
    locked.status = target
    locked.terminated_at = now
    if locked.end_date is None or locked.end_date > tenant_local_date(locked.tenant, now):
        locked.end_date = tenant_local_date(locked.tenant, now)
    locked.save(update_fields=["status", "terminated_at", "end_date", "updated_at"])
    return locked


# --- balance ------------------------------------------------------------------------------------


def contract_balance_floor(contract: Contract) -> Decimal:
    """The lowest balance the contract may reach: 0 prepaid, minus the credit limit postpaid (the
    contract's own if set, else its tariff's)."""
    if contract.tariff.tariff_type != TariffType.POSTPAID:
        return ZERO
    limit = contract.credit_limit if contract.credit_limit is not None else contract.tariff.credit_limit
    return -money(limit)


def _check_balance_move(contract: Contract, delta: Decimal) -> None:
    """Refuse moving the balance of a terminated contract, or below the contract's floor."""
    if contract.status not in CONTRACT_MONEY_STATUSES:
        raise RuleViolation(
            _("Contract %(number)s is %(status)s: its balance cannot change.")
            % {"number": contract.number, "status": contract.status}
        )
    new_balance = money(contract.balance + delta)
    floor = contract_balance_floor(contract)
    if delta < 0 and new_balance < floor:
        if floor == ZERO:
            message = _(
                "Insufficient balance: contract %(number)s has %(balance)s, %(amount)s cannot be deducted "
                "(a prepaid balance cannot go below zero)."
            )
        else:
            message = _(
                "Insufficient balance: contract %(number)s has %(balance)s, %(amount)s cannot be deducted "
                "(its credit limit is %(limit)s)."
            )
        raise RuleViolation(
            message % {"number": contract.number, "balance": contract.balance, "amount": -delta, "limit": -floor}
        )


def _move_balance(
    contract: Contract,
    delta: Decimal,
    *,
    kind: str,
    payment: Payment | None,
    actor=None,
    reason: str = "",
    now=None,
) -> BalanceEntry:
    """Add `delta` (signed) to the LOCKED `contract`'s balance and append its ledger entry, in the
    caller's transaction. A decrease below the contract's floor is refused; nothing changes then."""
    _check_balance_move(contract, delta)
    new_balance = money(contract.balance + delta)
    now = now or timezone.now()
    Contract.objects.filter(pk=contract.pk).update(balance=new_balance, updated_at=now)
    contract.balance = new_balance
    entry = BalanceEntry(
        tenant_id=contract.tenant_id,
        contract=contract,
        kind=kind,
        amount=delta,
        balance_after=new_balance,
        payment=payment,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=(reason or "")[:500],
        created_at=now,
    )
    entry.save(force_insert=True)
    change_record(
        instance=contract, action="balance", changes={"balance": [str(money(new_balance - delta)), str(new_balance)]}
    )
    return entry


def _payment_delta(payment: Payment) -> Decimal:
    return payment.amount if payment.transaction_type == TransactionType.PAYMENT else -payment.amount


def _entry_kind(payment: Payment) -> str:
    return EntryKind.TOP_UP if payment.transaction_type == TransactionType.PAYMENT else EntryKind.CHARGE


def _new_transaction_id(tenant_id: int, now) -> str:
    for _attempt in range(10):
        candidate = f"{TRANSACTION_ID_PREFIX}-{now:%Y%m%d}-{secrets.token_hex(5).upper()}"
        if not Payment.objects.filter(tenant_id=tenant_id, transaction_id=candidate).exists():
            return candidate
    raise RuntimeError("Could not generate a free transaction id")  # pragma: no cover - 16**10 ids a day


def _save_new_payment(payment: Payment, *, generated: bool) -> Payment:
    """INSERT the payment; a generated id that lost a race is drawn again, a given one is a 400."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                payment.save(force_insert=True)
            return payment
        except IntegrityError as exc:
            if "telecompayment_tenant_txn_uniq" not in str(exc) and "transaction_id" not in str(exc):
                raise
            if not generated:
                raise ValidationError({"transaction_id": [MSG_TRANSACTION_ID_TAKEN]}) from exc
            payment.transaction_id = _new_transaction_id(payment.tenant_id, timezone.now())
    raise RuntimeError("Could not store the payment")  # pragma: no cover


def _clean_payment_fields(tenant_id: int, fields: dict[str, Any], *, exclude_pk: int | None = None) -> dict:
    errors: dict[str, list] = {}
    clean = dict(fields)
    if "amount" in fields:
        try:
            clean["amount"] = _check_amount(fields["amount"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "transaction_type" in fields and fields["transaction_type"] not in TransactionType.values:
        errors["transaction_type"] = [_("Unknown transaction type.")]
    if "payment_method" in fields and fields["payment_method"] not in PaymentMethod.values:
        errors["payment_method"] = [_("Unknown payment method.")]
    if fields.get("transaction_id"):
        try:
            clean["transaction_id"] = validators.clean_transaction_id(fields["transaction_id"])
        except ValidationError as exc:
            errors["transaction_id"] = exc.messages
        else:
            taken = Payment.objects.filter(tenant_id=tenant_id, transaction_id=clean["transaction_id"])
            if exclude_pk is not None:
                taken = taken.exclude(pk=exclude_pk)
            if taken.exists():
                errors["transaction_id"] = [MSG_TRANSACTION_ID_TAKEN]
    if "description" in fields:
        clean["description"] = (fields["description"] or "").strip()
    contract = fields.get("contract")
    if contract is not None:
        if contract.tenant_id != tenant_id:
            errors["contract"] = [_("Not found.")]
        else:
            # The status as stored now (the caller's copy may be stale); processing checks it again
            # under the contract's lock.
            status = Contract.objects.filter(pk=contract.pk).values_list("status", flat=True).first()
            if status not in CONTRACT_MONEY_STATUSES:
                errors["contract"] = [
                    _("Contract %(number)s is %(status)s: it takes no payments.")
                    % {"number": contract.number, "status": status}
                ]
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def payment_create(
    *,
    tenant: Tenant,
    contract: Contract,
    amount: Decimal,
    transaction_type: str = TransactionType.PAYMENT,
    payment_method: str = PaymentMethod.CASH,
    transaction_id: str = "",
    description: str = "",
    actor=None,
) -> Payment:
    """Record a pending payment (a top-up or a charge) of a contract that is not terminated; the
    balance does not move until it is processed. `transaction_id` is generated when not given.
    Raises ValidationError; nothing is written then."""
    clean = _clean_payment_fields(
        tenant.pk,
        {
            "contract": contract,
            "amount": amount,
            "transaction_type": transaction_type,
            "payment_method": payment_method,
            "transaction_id": transaction_id,
            "description": description,
        },
    )
    now = timezone.now()
    generated = not clean.get("transaction_id")
    payment = Payment(
        tenant=tenant,
        status=PaymentStatus.PENDING,
        created_by=actor if getattr(actor, "pk", None) else None,
        **{**clean, "transaction_id": clean.get("transaction_id") or _new_transaction_id(tenant.pk, now)},
    )
    return _save_new_payment(payment, generated=generated)


@transaction.atomic
def payment_update(*, payment: Payment, **fields: Any) -> Payment:
    """Edit a pending payment; any other (processed, cancelled, failed, refunded) is refused."""
    _check_fields(fields, PAYMENT_FIELDS, "payment")
    locked = lock_objects.payment_for_update(tenant_id=payment.tenant_id, payment_id=payment.pk)
    if locked.status not in PAYMENT_EDITABLE_STATUSES:
        raise RuleViolation(
            _("Payment %(txn)s is %(status)s: only a pending payment can be edited.")
            % {"txn": locked.transaction_id, "status": locked.status}
        )
    if "transaction_id" in fields and not fields["transaction_id"]:
        fields.pop("transaction_id")  # an empty id keeps the current one
    if fields.get("contract") is not None and fields["contract"].pk == locked.contract_id:
        fields.pop("contract")
    clean = _clean_payment_fields(locked.tenant_id, fields, exclude_pk=locked.pk)
    for name, value in clean.items():
        setattr(locked, name, value)
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        if "telecompayment_tenant_txn_uniq" in str(exc) or "transaction_id" in str(exc):
            raise ValidationError({"transaction_id": [MSG_TRANSACTION_ID_TAKEN]}) from exc
        raise
    return locked


@transaction.atomic
def payment_delete(*, payment: Payment) -> None:
    """Delete a payment that never reached the balance (pending, cancelled, failed)."""
    locked = lock_objects.payment_for_update(tenant_id=payment.tenant_id, payment_id=payment.pk)
    if locked.status not in PAYMENT_DELETABLE_STATUSES:
        raise RuleViolation(
            _("Payment %(txn)s is %(status)s: a processed payment cannot be deleted.")
            % {"txn": locked.transaction_id, "status": locked.status}
        )
    locked.delete()


def _payment_move(payment: Payment, command: str) -> tuple[Payment, str]:
    locked = lock_objects.payment_for_update(tenant_id=payment.tenant_id, payment_id=payment.pk)
    target = target_status("payment", command, locked.status)
    if target is None:
        raise RuleViolation(PAYMENT_COMMAND_MESSAGES[command] % {"txn": locked.transaction_id, "status": locked.status})
    return locked, target


@transaction.atomic
def payment_process(*, payment: Payment, actor=None) -> Payment:
    """Apply a pending (or processing) payment to its contract's balance, exactly once: the
    payment's row lock serialises concurrent calls, the second finds it processed and is refused.
    A charge that would take the balance below its floor is refused and the payment stays pending."""
    locked, target = _payment_move(payment, "process")
    contract = lock_objects.contract_for_update(tenant_id=locked.tenant_id, contract_id=locked.contract_id)
    now = timezone.now()
    _move_balance(
        contract,
        _payment_delta(locked),
        kind=_entry_kind(locked),
        payment=locked,
        actor=actor,
        reason=locked.description or locked.transaction_id,
        now=now,
    )
    locked.status = target
    locked.processed_at = now
    locked.processed_by = actor if getattr(actor, "pk", None) else None
    locked.save(update_fields=["status", "processed_at", "processed_by", "updated_at"])
    locked.contract = contract
    return locked


def _payment_close(payment: Payment, action: str) -> Payment:
    """Move a payment whose money never moved to the status `action` leads to."""
    locked, target = _payment_move(payment, action)
    locked.status = target
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def payment_cancel(*, payment: Payment) -> Payment:
    """Cancel a pending payment (the balance never moved)."""
    return _payment_close(payment, "cancel")


@transaction.atomic
def payment_fail(*, payment: Payment) -> Payment:
    """Mark a pending payment as failed (the payment system refused it; the balance never moved)."""
    return _payment_close(payment, "fail")


@transaction.atomic
def payment_refund(*, payment: Payment, actor=None, reason: str = "") -> Payment:
    """Reverse a successful payment with a new ledger entry (a refunded top-up takes the money
    back, within the balance rule; a refunded charge gives it back)."""
    locked, target = _payment_move(payment, "refund")
    contract = lock_objects.contract_for_update(tenant_id=locked.tenant_id, contract_id=locked.contract_id)
    _move_balance(
        contract,
        -_payment_delta(locked),
        kind=EntryKind.REFUND,
        payment=locked,
        actor=actor,
        reason=reason or locked.transaction_id,
    )
    locked.status = target
    locked.save(update_fields=["status", "updated_at"])
    return locked


def _contract_money_move(
    contract: Contract,
    *,
    transaction_type: str,
    amount: Any,
    actor,
    payment_method: str,
    description: str,
) -> Payment:
    amount = _check_amount(amount)
    locked = lock_objects.contract_for_update(tenant_id=contract.tenant_id, contract_id=contract.pk)
    clean = _clean_payment_fields(locked.tenant_id, {"payment_method": payment_method, "description": description})
    now = timezone.now()
    payment = Payment(
        tenant_id=locked.tenant_id,
        contract=locked,
        transaction_type=transaction_type,
        payment_method=clean["payment_method"],
        amount=amount,
        status=PaymentStatus.SUCCESS,
        transaction_id=_new_transaction_id(locked.tenant_id, now),
        description=clean["description"],
        created_by=actor if getattr(actor, "pk", None) else None,
        processed_by=actor if getattr(actor, "pk", None) else None,
        processed_at=now,
    )
    # The balance rule first: a refused charge leaves no payment behind.
    delta = amount if transaction_type == TransactionType.PAYMENT else -amount
    _check_balance_move(locked, delta)
    _save_new_payment(payment, generated=True)
    change_record(instance=payment, action=ChangeAction.CREATE, after=snapshot(payment))
    _move_balance(
        locked,
        delta,
        kind=_entry_kind(payment),
        payment=payment,
        actor=actor,
        reason=payment.description or payment.transaction_id,
        now=now,
    )
    return payment


@transaction.atomic
def contract_top_up(
    *,
    contract: Contract,
    amount: Decimal,
    actor=None,
    payment_method: str = PaymentMethod.SYSTEM,
    description: str = "",
) -> Payment:
    """`add_balance`: top the contract up by `amount` now, recorded as a successful payment of type
    payment with its ledger entry. The contract must not be terminated."""
    return _contract_money_move(
        contract,
        transaction_type=TransactionType.PAYMENT,
        amount=amount,
        actor=actor,
        payment_method=payment_method,
        description=description,
    )


@transaction.atomic
def contract_charge(
    *,
    contract: Contract,
    amount: Decimal,
    actor=None,
    payment_method: str = PaymentMethod.SYSTEM,
    description: str = "",
) -> Payment:
    """`deduct_balance`: charge the contract `amount` now, recorded as a successful payment of type
    charge with its ledger entry. Refused (nothing written) below the balance floor."""
    return _contract_money_move(
        contract,
        transaction_type=TransactionType.CHARGE,
        amount=amount,
        actor=actor,
        payment_method=payment_method,
        description=description,
    )
