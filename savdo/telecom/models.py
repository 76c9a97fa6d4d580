"""A telecom operator's SIM cards, tariffs, contracts with a balance, payments and the balance ledger.

Document 004 mapping:
- A subscriber ("клиент", `/api/customers/`) is `savdo.customers.models.Customer`, the same row every
  surface reads; its identity document is `document_type`/`document_number`/`passport_*` there.
- `SimCard` is a SIM (`/api/sims/`): `iccid`, `imsi`, `msisdn`, `status`, `contract`.
- `Tariff` is a tariff plan (`/api/tariffs/`): `name`, `description`, `tariff_type`, `monthly_fee`,
  allowances `minutes`/`sms`/`data_mb` (null = unlimited), `credit_limit` (postpaid), `priority`,
  `is_active`.
- `Contract` is a subscriber's contract ("договор", `/api/contracts/`): a generated `number`
  (`CTR-YYYY-NNNNNN`), `customer`, `tariff`, `status`, `start_date`, `balance`.
- `Payment` is a top-up or a charge (`/api/payments/`): `transaction_type`, `payment_method`,
  `amount`, `transaction_id`, `status`.
- `BalanceEntry` is one line of a contract's append-only balance ledger: the contract's `balance`
  always equals the sum of its entries' `amount` (services write both under the contract's row lock,
  in one transaction).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.core.models import TenantOwned, TimeStamped
from savdo.core.money import MoneyField
from savdo.customers.models import Customer
from savdo.telecom.choices import (
    ContractStatus,
    EntryKind,
    PaymentMethod,
    PaymentStatus,
    SimStatus,
    TariffType,
    TransactionType,
)


class Tariff(TenantOwned, TimeStamped):
    """A tariff plan of the operator. `minutes`, `sms` and `data_mb` are the monthly allowances
    (null: unlimited). `credit_limit` is how far below zero a postpaid contract on this tariff may
    go (a contract may set its own); prepaid contracts never go below zero."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    tariff_type = models.CharField(
        _("tariff type"), max_length=16, choices=TariffType.choices, default=TariffType.PREPAID
    )
    monthly_fee = MoneyField(_("monthly fee"), default=0)
    minutes = models.PositiveIntegerField(_("minutes"), null=True, blank=True)
    sms = models.PositiveIntegerField(_("SMS"), null=True, blank=True)
    data_mb = models.PositiveIntegerField(_("data, MB"), null=True, blank=True)
    credit_limit = MoneyField(_("credit limit"), default=0)
    priority = models.IntegerField(_("priority"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="tariff_tenant_name_uniq"),
            models.CheckConstraint(condition=Q(tariff_type__in=TariffType.values), name="tariff_type_valid"),
            models.CheckConstraint(condition=Q(monthly_fee__gte=0), name="tariff_fee_not_negative"),
            models.CheckConstraint(condition=Q(credit_limit__gte=0), name="tariff_credit_limit_not_negative"),
        ]
        indexes = [models.Index(fields=["tenant", "priority", "id"], name="tariff_tenant_priority_idx")]

    def __str__(self) -> str:
        return self.name


class ContractNumberCounter(TenantOwned):
    """A store's contract sequence for one year: `last_number + 1` in one UPDATE under its row lock
    per new contract (`CTR-<year>-<last_number:06>`)."""

    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "year"], name="contractcounter_tenant_year_uniq")]


class Contract(TenantOwned, TimeStamped):
    """A subscriber's contract on a tariff, with its balance.

    Status: draft -> active -> suspended <-> active -> terminated (and draft -> terminated); the
    allowed transitions are in `savdo.telecom.transitions`. `balance` is written only by the ledger
    services (`savdo.telecom.services`), together with a `BalanceEntry`, under this row's lock.
    `credit_limit`, when set, overrides the tariff's for a postpaid contract.
    """

    number = models.CharField(_("number"), max_length=32)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    tariff = models.ForeignKey(Tariff, verbose_name=_("tariff"), on_delete=models.PROTECT, related_name="contracts")
    status = models.CharField(_("status"), max_length=16, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    start_date = models.DateField(_("start date"), default=timezone.localdate)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    balance = MoneyField(_("balance"), default=0)
    credit_limit = MoneyField(_("credit limit"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)
    terminated_at = models.DateTimeField(_("terminated"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="contract_tenant_number_uniq"),
            models.CheckConstraint(condition=Q(status__in=ContractStatus.values), name="contract_status_valid"),
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="contract_credit_limit_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="contract_tenant_created_idx"),
            models.Index(fields=["tenant", "status"], name="contract_tenant_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class SimCard(TenantOwned, TimeStamped):
    """A SIM card of the operator's stock.

    `iccid`: 19-20 digits ending in a Luhn check digit (ITU-T E.118); `imsi`: 15 digits; `msisdn`:
    the phone number in E.164. All three are unique per store. A free SIM has no contract; an active
    one has a contract that is not terminated (a database check holds the first half).
    """

    iccid = models.CharField(_("ICCID"), max_length=20)
    imsi = models.CharField(_("IMSI"), max_length=15)
    msisdn = models.CharField(_("MSISDN"), max_length=16)
    status = models.CharField(_("status"), max_length=16, choices=SimStatus.choices, default=SimStatus.FREE)
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), null=True, blank=True, on_delete=models.PROTECT, related_name="sims"
    )
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, default="")

    class Meta:
        verbose_name = _("SIM card")
        verbose_name_plural = _("SIM cards")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "iccid"], name="simcard_tenant_iccid_uniq"),
            models.UniqueConstraint(fields=["tenant", "imsi"], name="simcard_tenant_imsi_uniq"),
            models.UniqueConstraint(fields=["tenant", "msisdn"], name="simcard_tenant_msisdn_uniq"),
            models.CheckConstraint(condition=Q(status__in=SimStatus.values), name="simcard_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=SimStatus.FREE) | Q(contract__isnull=True), name="simcard_free_has_no_contract"
            ),
            models.CheckConstraint(
                condition=~Q(status=SimStatus.ACTIVE) | Q(contract__isnull=False), name="simcard_active_has_contract"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"], name="simcard_tenant_status_idx"),
            models.Index(fields=["tenant", "-created_at", "-id"], name="simcard_tenant_created_idx"),
        ]

    def __str__(self) -> str:
        return self.msisdn or self.iccid


class Payment(TenantOwned, TimeStamped):
    """A top-up (`transaction_type=payment`) or a charge of a contract's balance.

    Created `pending`; `process` applies it to the balance once (a ledger entry) and makes it
    `success`. `transaction_id` is unique per store (generated when not given). A processed payment
    is neither edited nor deleted; `refund` reverses it with a new ledger entry.
    """

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="payments"
    )
    transaction_type = models.CharField(
        _("transaction type"), max_length=16, choices=TransactionType.choices, default=TransactionType.PAYMENT
    )
    payment_method = models.CharField(
        _("payment method"), max_length=16, choices=PaymentMethod.choices, default=PaymentMethod.CASH
    )
    amount = MoneyField(_("amount"))
    status = models.CharField(_("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    transaction_id = models.CharField(_("transaction id"), max_length=64)
    description = models.CharField(_("description"), max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("processed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "transaction_id"], name="telecompayment_tenant_txn_uniq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="telecompayment_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="telecompayment_status_valid"),
            models.CheckConstraint(
                condition=Q(transaction_type__in=TransactionType.values), name="telecompayment_type_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="telecompayment_created_idx"),
            models.Index(fields=["tenant", "status"], name="telecompayment_status_idx"),
            models.Index(fields=["contract", "-created_at"], name="telecompayment_contract_idx"),
        ]

    def __str__(self) -> str:
        return self.transaction_id


class AppendOnlyError(Exception):
    """A ledger entry was about to be changed or deleted."""


class BalanceEntry(TenantOwned):
    """One change of a contract's balance: signed `amount` (a top-up adds, a charge takes), the
    balance after it, why (`kind`, `payment`, `reason`), who (`actor`) and when. Append-only: rows
    are only inserted (saving an existing row or deleting one raises)."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="balance_entries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    amount = MoneyField(_("amount"))
    balance_after = MoneyField(_("balance after"))
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("balance entry")
        verbose_name_plural = _("balance entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="balanceentry_amount_not_zero"),
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="balanceentry_kind_valid"),
            # A payment moves the balance once when processed and at most once more when refunded.
            models.UniqueConstraint(fields=["payment", "kind"], name="balanceentry_payment_kind_uniq"),
        ]
        indexes = [models.Index(fields=["contract", "created_at", "id"], name="balanceentry_contract_idx")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Balance entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Balance entries are append-only.")
