"""Shifts, sales, payments, refunds, and the daily rollups checkout and refund keep.

Document 001 §3 mapping:
- `CashSession` is a cashier shift ("смена"): `opening_balance`, `actual_cash` (close), report.
- `Sale` is a receipt ("чек"): `receipt_number`, `status` (pending, completed, cancelled,
  refunded), `total_amount`, `items`; `session` is the shift it is rung up in.
- `SaleItem` is a line: `product`, `quantity`, `batch`; it keeps its own copy of the name, price,
  discount, tax and cost at the moment of sale, whatever happens to the product later.
- `Payment` is one payment of a checkout: `payment_method`, `amount`, `received_amount` (cash),
  `card_last4`, `transaction_id` (card).
- `Refund` / `RefundItem` / `RefundPayment`: a (partial or full) refund, what it returned and to
  which payments the money went.
Document 000's purchase history shows completed sales (`receipt_number` as `sale_number`).

Rollups (`DailySales`, `DailyProductSales`, `DailyCustomer`) are written by `savdo.sales.rollups` in
the checkout/refund transaction, keyed on the tenant's local date; `savdo.analytics` only reads them.
`IdempotencyKey` backs `savdo.sales.idempotency`.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.catalog.models import Product
from savdo.core.models import TenantOwned
from savdo.core.money import HUNDRED, MoneyField, QuantityField, money
from savdo.customers.models import Customer
from savdo.inventory.models import Batch
from savdo.sales.choices import IdempotencyState, PaymentMethod, SaleStatus, ShiftStatus


def _percent_field(verbose_name):
    return models.DecimalField(verbose_name, max_digits=5, decimal_places=2, default=0)


class CashSession(TenantOwned):
    """A cashier's shift at a till. One open shift per cashier per tenant (a database constraint).

    Closing records `expected_cash` (opening balance + cash taken - change given - cash refunded in
    this shift), the counted `actual_cash` and their difference.
    """

    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("cashier"), on_delete=models.PROTECT, related_name="cash_sessions"
    )
    status = models.CharField(_("status"), max_length=16, choices=ShiftStatus.choices, default=ShiftStatus.OPEN)
    opening_balance = MoneyField(_("opening balance"), default=0)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    expected_cash = MoneyField(_("expected cash"), null=True, blank=True)
    actual_cash = MoneyField(_("actual cash"), null=True, blank=True)
    cash_difference = MoneyField(_("cash difference"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("cash session")
        verbose_name_plural = _("cash sessions")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "cashier"], condition=Q(status="open"), name="cashsession_one_open_per_cashier"
            ),
            models.CheckConstraint(condition=Q(status__in=ShiftStatus.values), name="cashsession_status_valid"),
            models.CheckConstraint(condition=Q(opening_balance__gte=0), name="cashsession_opening_not_negative"),
        ]
        indexes = [models.Index(fields=["tenant", "-opened_at"], name="cashsession_tenant_opened_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.cashier_id} {self.status}"


class ReceiptCounter(TenantOwned):
    """The tenant's receipt sequence: incremented with `F() + 1` under its row lock, one per new sale."""

    last_number = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="receiptcounter_tenant_uniq")]


class Sale(TenantOwned):
    """A sale (receipt). Amounts are Decimal; prices include tax.

    `subtotal` is the sum of lines before discount, `discount_amount` the customer's discount,
    `total_amount = subtotal - discount_amount` what is paid, `tax_amount` the tax inside it.
    `refunded_amount` grows with each refund; the status becomes `refunded` when nothing is left
    to refund. `loyalty_points` are the points the checkout gave the customer.
    """

    data_scope = "sales"  # read caches: savdo/core/versions.py

    session = models.ForeignKey(CashSession, verbose_name=_("shift"), on_delete=models.PROTECT, related_name="sales")
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("cashier"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT, related_name="sales"
    )
    receipt_number = models.CharField(_("receipt number"), max_length=40)
    status = models.CharField(_("status"), max_length=16, choices=SaleStatus.choices, default=SaleStatus.PENDING)
    discount_percent = _percent_field(_("discount, %"))
    subtotal = MoneyField(_("subtotal"), default=0)
    discount_amount = MoneyField(_("discount"), default=0)
    tax_amount = MoneyField(_("tax"), default=0)
    total_amount = MoneyField(_("total"), default=0)
    paid_amount = MoneyField(_("paid"), default=0)
    change_amount = MoneyField(_("change"), default=0)
    refunded_amount = MoneyField(_("refunded"), default=0)
    cost_amount = MoneyField(_("cost"), default=0)
    items_quantity = QuantityField(_("items"), default=0)
    loyalty_points = MoneyField(_("loyalty points"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "receipt_number"], name="sale_tenant_receipt_uniq"),
            models.UniqueConstraint(
                fields=["session"], condition=Q(status="pending"), name="sale_one_pending_per_shift"
            ),
            models.CheckConstraint(condition=Q(status__in=SaleStatus.values), name="sale_status_valid"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("total_amount")),
                name="sale_refund_within_total",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="sale_tenant_created_idx"),
            models.Index(fields=["tenant", "status", "-created_at"], name="sale_tenant_status_idx"),
            models.Index(fields=["tenant", "completed_at"], name="sale_tenant_completed_idx"),
            models.Index(fields=["customer", "-completed_at"], name="sale_customer_completed_idx"),
            models.Index(fields=["session", "status"], name="sale_session_status_idx"),
        ]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def kept_total(self) -> Decimal:
        """What the sale is worth after its refunds."""
        return self.total_amount - self.refunded_amount

    def recalculate(self, items) -> None:
        """Totals from the lines (in memory; the caller saves)."""
        self.subtotal = sum((i.subtotal for i in items), Decimal("0.00"))
        self.discount_amount = sum((i.discount_amount for i in items), Decimal("0.00"))
        self.tax_amount = sum((i.tax_amount for i in items), Decimal("0.00"))
        self.total_amount = sum((i.total_amount for i in items), Decimal("0.00"))
        self.items_quantity = sum((i.quantity for i in items), Decimal("0.000"))


class SaleItem(TenantOwned):
    """A line of a sale with the price, discount, tax and cost it was sold at.

    `subtotal = quantity x unit_price`; `discount_amount = subtotal x discount_percent / 100`;
    `total_amount = subtotal - discount_amount`; `tax_amount = total_amount x rate / (100 + rate)`
    (prices include tax), each rounded half-up to the cent. `unit_cost`/`cost_amount` are set at
    checkout from the stock actually taken (batch cost, else the product's cost); before, `reprice`
    keeps `cost_amount` at the quantity times the unit cost the line was rung up with.
    `refunded_*` accumulate what refunds returned of this line.
    """

    data_scope = "sales"  # read caches: savdo/core/versions.py

    sale = models.ForeignKey(Sale, verbose_name=_("sale"), on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="sale_items")
    batch = models.ForeignKey(
        Batch, verbose_name=_("batch"), null=True, blank=True, on_delete=models.PROTECT, related_name="sale_items"
    )
    product_name = models.CharField(_("product name"), max_length=255)
    product_sku = models.CharField(_("SKU"), max_length=64, blank=True, default="")
    unit = models.CharField(_("unit"), max_length=8, blank=True, default="")
    quantity = QuantityField(_("quantity"))
    unit_price = MoneyField(_("unit price"))
    discount_percent = _percent_field(_("discount, %"))
    subtotal = MoneyField(_("subtotal"), default=0)
    discount_amount = MoneyField(_("discount"), default=0)
    tax_rate = _percent_field(_("tax rate, %"))
    tax_amount = MoneyField(_("tax"), default=0)
    total_amount = MoneyField(_("total"), default=0)
    unit_cost = MoneyField(_("unit cost"), default=0)
    cost_amount = MoneyField(_("cost"), default=0)
    refunded_quantity = QuantityField(_("refunded quantity"), default=0)
    refunded_amount = MoneyField(_("refunded"), default=0)
    refunded_discount = MoneyField(_("refunded discount"), default=0)
    refunded_tax = MoneyField(_("refunded tax"), default=0)
    refunded_cost = MoneyField(_("refunded cost"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("sale line")
        verbose_name_plural = _("sale lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="saleitem_quantity_positive"),
            models.CheckConstraint(
                condition=Q(refunded_quantity__gte=0) & Q(refunded_quantity__lte=models.F("quantity")),
                name="saleitem_refund_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_name} x {self.quantity}"

    def reprice(self) -> None:
        """Line amounts from quantity, unit price, discount and tax rate (in memory), and the cost the
        line is expected to have at its unit cost (checkout sets it from the stock actually taken)."""
        self.subtotal = money(self.quantity * self.unit_price)
        self.discount_amount = money(self.subtotal * self.discount_percent / HUNDRED)
        self.total_amount = self.subtotal - self.discount_amount
        self.tax_amount = money(self.total_amount * self.tax_rate / (HUNDRED + self.tax_rate))
        self.cost_amount = money(self.quantity * self.unit_cost)

    @property
    def refundable_quantity(self) -> Decimal:
        return self.quantity - self.refunded_quantity

    @property
    def kept_quantity(self) -> Decimal:
        """What the customer kept of this line (sold minus refunded)."""
        return self.quantity - self.refunded_quantity

    @property
    def kept_total(self) -> Decimal:
        return self.total_amount - self.refunded_amount


class SaleItemAllocation(TenantOwned):
    """Where a completed line's goods came from: a batch (or unbatched stock), quantity, unit cost.

    A refund puts goods back exactly where they came from (`refunded_quantity` tracks how much).
    """

    data_scope = "sales"  # read caches: savdo/core/versions.py

    item = models.ForeignKey(SaleItem, on_delete=models.CASCADE, related_name="allocations")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField(_("quantity"))
    unit_cost = MoneyField(_("unit cost"), default=0)
    refunded_quantity = QuantityField(_("refunded quantity"), default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_quantity__gte=0) & Q(refunded_quantity__lte=models.F("quantity")),
                name="allocation_refund_within_quantity",
            )
        ]


class Payment(TenantOwned):
    """One payment of a checkout. `amount` is what it pays of the sale; for cash `received_amount`
    is what the customer handed over and `change_amount` what they got back."""

    data_scope = "sales"  # read caches: savdo/core/versions.py

    sale = models.ForeignKey(Sale, verbose_name=_("sale"), on_delete=models.CASCADE, related_name="payments")
    payment_method = models.CharField(_("payment method"), max_length=16, choices=PaymentMethod.choices)
    amount = MoneyField(_("amount"))
    received_amount = MoneyField(_("received"), default=0)
    change_amount = MoneyField(_("change"), default=0)
    card_last4 = models.CharField(_("card last 4 digits"), max_length=4, blank=True, default="")
    transaction_id = models.CharField(_("transaction id"), max_length=100, blank=True, default="")
    refunded_amount = MoneyField(_("refunded"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(payment_method__in=PaymentMethod.values), name="payment_method_valid"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_method} {self.amount}"


class Refund(TenantOwned):
    """A refund of some or all of a completed sale.

    `session` is the shift whose till paid the cash back: the refunding user's open shift, else the
    sale's own shift if still open, else none (refunded from the back office).
    """

    data_scope = "sales"  # read caches: savdo/core/versions.py

    sale = models.ForeignKey(Sale, verbose_name=_("sale"), on_delete=models.PROTECT, related_name="refunds")
    session = models.ForeignKey(
        CashSession, verbose_name=_("shift"), null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    amount = MoneyField(_("amount"))
    discount_amount = MoneyField(_("discount"), default=0)
    tax_amount = MoneyField(_("tax"), default=0)
    cost_amount = MoneyField(_("cost"), default=0)
    items_quantity = QuantityField(_("items"), default=0)
    loyalty_points = MoneyField(_("loyalty points"), default=0)
    is_full = models.BooleanField(_("refunds the rest of the sale"), default=False)
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="refund_tenant_created_idx"),
            models.Index(fields=["session"], name="refund_session_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id}: {self.amount}"


class RefundItem(TenantOwned):
    """What a refund returned of one sale line: quantity and its share of amount, discount, tax, cost."""

    data_scope = "sales"  # read caches: savdo/core/versions.py

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="items")
    sale_item = models.ForeignKey(SaleItem, on_delete=models.PROTECT, related_name="refund_items")
    quantity = QuantityField(_("quantity"))
    amount = MoneyField(_("amount"))
    discount_amount = MoneyField(_("discount"), default=0)
    tax_amount = MoneyField(_("tax"), default=0)
    cost_amount = MoneyField(_("cost"), default=0)


class RefundPayment(TenantOwned):
    """The part of a refund paid back through one of the sale's payments (cash first)."""

    data_scope = "sales"  # read caches: savdo/core/versions.py

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="payments")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    payment_method = models.CharField(_("payment method"), max_length=16, choices=PaymentMethod.choices)
    amount = MoneyField(_("amount"))


# --- rollups (written by savdo.sales.rollups; read by savdo.analytics) -------------------------


class DailySales(TenantOwned):
    """One tenant's sales of one local day. Checkouts add to the `sales`/payment columns, refunds to
    the `refund` columns, on the day each happened (net = sales - refunds).

    001 §4.1 maps: `total_sales` = sales_amount, `total_sales_count` = sales_count, `total_discount`
    = discount_amount, `total_tax` = tax_amount, `total_items_sold` = items_sold, `unique_customers`.
    """

    data_scope = "sales"  # read caches: savdo/core/versions.py

    date = models.DateField(_("date"))
    sales_count = models.PositiveIntegerField(default=0)
    sales_amount = MoneyField(default=0)
    discount_amount = MoneyField(default=0)
    tax_amount = MoneyField(default=0)
    cost_amount = MoneyField(default=0)
    items_sold = QuantityField(default=0)
    unique_customers = models.PositiveIntegerField(default=0)
    cash_amount = MoneyField(default=0)
    card_amount = MoneyField(default=0)
    mobile_amount = MoneyField(default=0)
    transfer_amount = MoneyField(default=0)
    refunds_count = models.PositiveIntegerField(default=0)
    refunds_amount = MoneyField(default=0)
    refunded_discount = MoneyField(default=0)
    refunded_tax = MoneyField(default=0)
    refunded_cost = MoneyField(default=0)
    refunded_items = QuantityField(default=0)
    cash_refunded = MoneyField(default=0)
    card_refunded = MoneyField(default=0)
    mobile_refunded = MoneyField(default=0)
    transfer_refunded = MoneyField(default=0)

    class Meta:
        verbose_name = _("daily sales")
        verbose_name_plural = _("daily sales")
        constraints = [models.UniqueConstraint(fields=["tenant", "date"], name="dailysales_tenant_date_uniq")]


class DailyProductSales(TenantOwned):
    """One product's sales of one local day. `profit` = (revenue - refunded_revenue) - (cost -
    refunded_cost), kept up to date; revenue is after discount, tax included; `sales_count` counts
    checkouts that sold the product."""

    data_scope = "sales"  # read caches: savdo/core/versions.py

    # No index of its own: the (tenant, date, product) and (tenant, product, date) indexes lead with
    # the tenant, and a bare tenant index lured the planner into scanning a year of rows for a month.
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False)
    date = models.DateField(_("date"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField(default=0)
    revenue = MoneyField(default=0)
    cost = MoneyField(default=0)
    profit = MoneyField(default=0)
    sales_count = models.PositiveIntegerField(default=0)
    refunded_quantity = QuantityField(default=0)
    refunded_revenue = MoneyField(default=0)
    refunded_cost = MoneyField(default=0)

    class Meta:
        verbose_name = _("daily product sales")
        verbose_name_plural = _("daily product sales")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "date", "product"], name="dailyproduct_tenant_date_product_uniq")
        ]
        indexes = [models.Index(fields=["tenant", "product", "date"], name="dailyproduct_product_date_idx")]


class DailyCustomer(TenantOwned):
    """A customer bought something on this local day: the insert that creates the row counts them
    once in `DailySales.unique_customers`."""

    data_scope = "sales"  # read caches: savdo/core/versions.py

    date = models.DateField(_("date"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "date", "customer"], name="dailycustomer_tenant_date_uniq")
        ]


# --- idempotency ----------------------------------------------------------------------------


class IdempotencyKey(TenantOwned):
    """An `Idempotency-Key` seen for a tenant: the unique (tenant, key) row is taken before the request
    runs; the first successful response is stored with it and replayed to retries until
    `expires_at` (at least 24 hours). See `savdo.sales.idempotency`."""

    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=IdempotencyState.choices, default=IdempotencyState.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")  # JSON text, byte for byte as first sent
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="idempotencykey_tenant_key_uniq")]
