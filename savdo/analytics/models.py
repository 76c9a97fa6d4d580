"""Analytics' own table: dated stock snapshots. Every other report reads the sales package's rollups
(`savdo.sales.models.DailySales`, `DailyProductSales`) or the live stock ledger; nothing here is
written by a sale."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.catalog.models import Product
from savdo.core.models import TenantOwned
from savdo.core.money import QuantityField


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
