"""Analytics' own tables: dated stock snapshots and the stored base of the RFM period. Every other
report reads the sales package's rollups (`savdo.sales.models.DailySales`, `DailyProductSales`) or
the live stock ledger; nothing here is written by a sale."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.catalog.models import Product
from savdo.core.models import TenantOwned
from savdo.core.money import QuantityField
from savdo.customers.models import Customer


class StockSnapshot(TenantOwned):
    """One product's stock as `savdo snapshot-stock` saw it on a local day of the tenant (history).

    001 §4.4 maps: `quantity_on_hand`, `reserved_quantity` (in pending sales), `available_quantity`
    (on hand - reserved), `days_of_stock` (available / average daily sales of the 30 days before),
    `is_low_stock` (on hand at or below the reorder level). Taking a snapshot again on the same day
    replaces that day's rows. Live stock is never read from here: `latest/` and the alerts answer
    what the ledger says now.
    """

    data_scope = "stock"  # read caches: savdo/core/versions.py

    date = models.DateField(_("date"))
    taken_at = models.DateTimeField(_("taken"), default=timezone.now)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+")
    quantity_on_hand = QuantityField(_("quantity on hand"), default=0)
    reserved_quantity = QuantityField(_("reserved"), default=0)
    available_quantity = QuantityField(_("available"), default=0)
    avg_daily_sales = QuantityField(_("average daily sales"), default=0)
    days_of_stock = models.DecimalField(_("days of stock"), max_digits=10, decimal_places=1, null=True, blank=True)
    reorder_level = QuantityField(_("reorder level"), default=0)
    is_low_stock = models.BooleanField(_("low stock"), default=False)

    class Meta:
        verbose_name = _("stock snapshot")
        verbose_name_plural = _("stock snapshots")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "date", "product"], name="stocksnapshot_tenant_date_product_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.product_id}: {self.quantity_on_hand}"


class RFMBase(TenantOwned):
    """The stored part of the tenant's RFM period, written by `savdo refresh-rfm`
    (`services.rfm_base_refresh`): the closed local days `first_day`..`last_day` (UTC
    [`starts_at`, `ends_at`)) as the sales stood at `computed_at`, one `RFMBaseCustomer` per customer
    with a completed sale in them, and one `RFMBaseDay` per day the refresh saw (from two days
    before `first_day` up to the day it ran).

    It is never an answer by itself: the RFM selectors recompute from the raw sales every customer
    it can no longer vouch for (`selectors._dirty_sql`), so answers are the same with it or without
    it. Not in the read caches' scopes: replacing it changes no answer. One per tenant.
    """

    time_zone = models.CharField(_("time zone"), max_length=64)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    computed_at = models.DateTimeField(_("computed"))
    customers = models.PositiveIntegerField(_("customers"), default=0)

    class Meta:
        verbose_name = _("RFM base")
        verbose_name_plural = _("RFM bases")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="rfmbase_tenant_uniq")]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.first_day}..{self.last_day}"


class RFMBaseCustomer(TenantOwned):
    """One customer's completed sales over the base's days, as they stood when it was computed:
    the last one (`last_purchase`), how many (`frequency`) and what they kept after refunds, in whole
    cents (`monetary_cents`: an exact integer, which the scoring compares and sums fastest).

    For each of the three values, the row's place among the base's rows: `*_pos` its position
    (1..customers) in the order by that value (ties by customer id), `*_rank` one plus the number of
    rows with a smaller value. Live scoring reads only the rows around the quintile cuts by position
    (the indexes), instead of sorting every customer on each request."""

    # Read by base only (its unique and position indexes lead with it): no tenant or base index of
    # their own, which every refresh would have to rewrite.
    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False)
    base = models.ForeignKey(RFMBase, on_delete=models.CASCADE, related_name="customer_rows", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    last_purchase = models.DateTimeField(_("last purchase"))
    frequency = models.PositiveIntegerField(_("frequency"))
    monetary_cents = models.BigIntegerField(_("monetary, cents"))
    r_pos = models.PositiveIntegerField(_("recency position"))
    r_rank = models.PositiveIntegerField(_("recency rank"))
    f_pos = models.PositiveIntegerField(_("frequency position"))
    f_rank = models.PositiveIntegerField(_("frequency rank"))
    m_pos = models.PositiveIntegerField(_("monetary position"))
    m_rank = models.PositiveIntegerField(_("monetary rank"))

    class Meta:
        verbose_name = _("RFM base customer")
        verbose_name_plural = _("RFM base customers")
        constraints = [models.UniqueConstraint(fields=["base", "customer"], name="rfmbasecustomer_base_customer_uniq")]
        indexes = [
            models.Index(fields=["base", "r_pos"], name="rfmbasecustomer_r_pos_idx"),
            models.Index(fields=["base", "f_pos"], name="rfmbasecustomer_f_pos_idx"),
            models.Index(fields=["base", "m_pos"], name="rfmbasecustomer_m_pos_idx"),
        ]


class RFMBaseDay(TenantOwned):
    """What the daily rollup (`DailySales`) said about one local day when the base was computed: its
    checkouts (`sales_count`) and refunds (`refunds_count`), each stored only if it agreed with the
    sales and refunds themselves (else null: the day is never vouched for). A day whose rollup has
    moved since holds events the base has not seen. [`starts_at`, `ends_at`) are the day's bounds in
    UTC."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False)
    base = models.ForeignKey(RFMBase, on_delete=models.CASCADE, related_name="days", db_index=False)
    date = models.DateField(_("date"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    sales_count = models.PositiveIntegerField(_("sales"), null=True)
    refunds_count = models.PositiveIntegerField(_("refunds"), null=True)

    class Meta:
        verbose_name = _("RFM base day")
        verbose_name_plural = _("RFM base days")
        constraints = [models.UniqueConstraint(fields=["base", "date"], name="rfmbaseday_base_date_uniq")]
