"""Catalog reads."""

from django.db.models import Count, QuerySet

from savdo.catalog.models import Category, Product
from savdo.tenancy.models import Tenant


def category_list(*, tenant: Tenant) -> QuerySet[Category]:
    """Categories with their product count (one query, whatever the page size)."""
    return (
        Category.objects.for_tenant(tenant)
        .select_related("parent")
        .annotate(products_count=Count("products"))
        .order_by("name", "id")
    )


def product_list(*, tenant: Tenant) -> QuerySet[Product]:
    """Products with their category; stock on hand is added by `savdo.inventory.selectors.with_stock`."""
    return Product.objects.for_tenant(tenant).select_related("category").order_by("-created_at", "-id")


def product_by_barcode(*, tenant: Tenant, barcode: str) -> Product | None:
    """The product a scanner read; None when the barcode (or SKU, as cheap scanners send) is unknown."""
    code = (barcode or "").strip()
    if not code:
        return None
    products = Product.objects.for_tenant(tenant)
    return products.filter(barcode=code).first() or products.filter(sku=code).first()
