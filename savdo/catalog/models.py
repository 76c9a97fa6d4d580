"""The catalog: what a shop sells (products) and how it groups them (categories).

Document 001 §2 maps onto these models field for field: `name, sku, barcode, description,
cost_price, sale_price, wholesale_price, tax_rate, unit` (§2.2) plus `category`, `is_active` and
`reorder_level` (the quantity at or below which a product is "low stock", §2.3). Stock on hand is not
a product field: it is the inventory ledger's balance (`savdo.inventory.StockBalance`).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from savdo.catalog.choices import Unit
from savdo.core.models import TenantOwned, TimeStamped
from savdo.core.money import MoneyField, QuantityField

PERCENT_VALIDATORS = [MinValueValidator(0), MaxValueValidator(100)]


class Category(TenantOwned, TimeStamped):
    """A product category (001 §2.4), optionally inside a parent category. Names are unique per tenant."""

    data_scope = "catalog"  # read caches: savdo/core/versions.py

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="category_tenant_name_uniq")]

    def __str__(self) -> str:
        return self.name


class Product(TenantOwned, TimeStamped):
    """A product of a tenant (001 §2.2). SKU is unique per tenant, and so is a non-empty barcode.

    Prices include tax at `tax_rate` percent. `cost_price` is the default purchase cost; a batch
    received with its own cost overrides it for the goods of that batch.
    """

    data_scope = "catalog"  # read caches: savdo/core/versions.py

    name = models.CharField(_("name"), max_length=255)
    sku = models.CharField(_("SKU"), max_length=64)
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, default="")
    description = models.TextField(_("description"), blank=True, default="")
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    cost_price = MoneyField(_("cost price"), default=0, validators=[MinValueValidator(0)])
    sale_price = MoneyField(_("sale price"), validators=[MinValueValidator(0)])
    wholesale_price = MoneyField(_("wholesale price"), default=0, validators=[MinValueValidator(0)])
    tax_rate = models.DecimalField(
        _("tax rate, %"), max_digits=5, decimal_places=2, default=0, validators=PERCENT_VALIDATORS
    )
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, default=Unit.PIECE)
    is_active = models.BooleanField(_("active"), default=True)
    reorder_level = QuantityField(_("reorder level"), default=0, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sku"], name="product_tenant_sku_uniq"),
            models.UniqueConstraint(
                fields=["tenant", "barcode"], condition=~Q(barcode=""), name="product_tenant_barcode_uniq"
            ),
            models.CheckConstraint(
                condition=Q(cost_price__gte=0) & Q(sale_price__gte=0) & Q(wholesale_price__gte=0),
                name="product_prices_not_negative",
            ),
            models.CheckConstraint(condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100), name="product_tax_rate_0_100"),
            models.CheckConstraint(condition=Q(reorder_level__gte=0), name="product_reorder_level_not_negative"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="product_tenant_created_idx"),
            models.Index(fields=["tenant", "name"], name="product_tenant_name_idx"),
            models.Index(fields=["tenant", "is_active"], name="product_tenant_active_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"
