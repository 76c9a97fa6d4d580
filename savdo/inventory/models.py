"""Stock: a ledger of movements, with balance rows that always equal the ledger's sum.

- `StockMovement` is the ledger: every receipt, sale, refund and adjustment is one row (signed
  quantity, who, why, the document it belongs to). Rows are never changed or deleted.
- `StockBalance` (one per product) and `Batch.quantity` (one per batch) hold what the ledger says
  is on hand. They change only in the same transaction as the movements that explain them
  (`savdo.inventory.services`), under row locks taken in a fixed order (`lock_objects`).
- A product's on-hand is its balance; the part not held in any batch is "unbatched" stock
  (balance minus the sum of its batches).

Document 001 has no stock endpoints; the retail surface adds receive/adjust/movements next to
products. Analytics' `quantity_on_hand` is `StockBalance.quantity`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.catalog.models import Product
from savdo.core.models import TenantOwned, TimeStamped
from savdo.core.money import MoneyField, QuantityField
from savdo.inventory.choices import MovementKind


class StockBalance(TenantOwned):
    """On-hand quantity of one product: the sum of its movements. Created on the first movement."""

    data_scope = "stock"  # read caches: savdo/core/versions.py

    product = models.OneToOneField(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="stock")
    quantity = QuantityField(_("quantity on hand"), default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        indexes = [models.Index(fields=["tenant", "quantity"], name="stockbalance_tenant_qty_idx")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.quantity}"


class Batch(TenantOwned, TimeStamped):
    """A batch (lot) of a product received together: its number, expiry date and purchase cost.

    `quantity` is the batch's on-hand balance (the sum of the movements naming this batch). A sale
    that names no batch takes from the earliest-expiring batches with stock first (FEFO).
    """

    data_scope = "stock"  # read caches: savdo/core/versions.py

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="batches")
    batch_number = models.CharField(_("batch number"), max_length=64)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    cost_price = MoneyField(_("cost price"), default=0)
    quantity = QuantityField(_("quantity on hand"), default=0)

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "product", "batch_number"], name="batch_tenant_product_number_uniq"
            ),
            models.CheckConstraint(condition=Q(cost_price__gte=0), name="batch_cost_not_negative"),
        ]
        indexes = [models.Index(fields=["product", "expiry_date"], name="batch_product_expiry_idx")]

    def __str__(self) -> str:
        return self.batch_number


class StockMovement(TenantOwned):
    """One line of the stock ledger (append-only).

    `quantity` is signed (+ in, - out); `balance_after` is the product's on-hand right after it.
    `reference` names the document (a receipt number for sales and refunds), `reason` says why
    (required for adjustments), `user` who did it. `unit_cost` is the cost of the goods that moved
    (the batch's cost, else the product's), so the ledger also values stock.
    """

    data_scope = "stock"  # read caches: savdo/core/versions.py

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="movements")
    batch = models.ForeignKey(
        Batch, verbose_name=_("batch"), null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MovementKind.choices)
    quantity = QuantityField(_("quantity"))
    balance_after = QuantityField(_("balance after"))
    unit_cost = MoneyField(_("unit cost"), default=0)
    reference = models.CharField(_("reference"), max_length=64, blank=True, default="")
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stockmovement_quantity_not_zero"),
            models.CheckConstraint(condition=Q(kind__in=MovementKind.values), name="stockmovement_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="stockmove_tenant_created_idx"),
            models.Index(fields=["product", "-created_at"], name="stockmove_product_created_idx"),
            models.Index(fields=["tenant", "kind"], name="stockmove_tenant_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id} {self.quantity}"
