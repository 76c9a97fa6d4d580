"""Stock reads: on-hand next to products, low stock, the ledger, batches."""

from django.db.models import DecimalField, F, QuerySet, Value
from django.db.models.functions import Coalesce

from savdo.catalog import selectors as catalog_selectors
from savdo.catalog.models import Product
from savdo.core.fixed import FixedQuery
from savdo.core.money import QUANTITY_MAX_DIGITS, QUANTITY_PLACES, ZERO_QTY
from savdo.inventory.models import Batch, StockMovement
from savdo.tenancy.models import Tenant

_QTY = DecimalField(max_digits=QUANTITY_MAX_DIGITS, decimal_places=QUANTITY_PLACES)


def with_stock(products: QuerySet[Product]) -> QuerySet[Product]:
    """Annotate `stock_quantity` (on hand; zero before the first movement) in the same query."""
    return products.annotate(stock_quantity=Coalesce(F("stock__quantity"), Value(ZERO_QTY), output_field=_QTY))


def product_list_with_stock(*, tenant: Tenant) -> QuerySet[Product]:
    """The catalog's product list with each product's on-hand (`stock_quantity`), in one query."""
    return with_stock(catalog_selectors.product_list(tenant=tenant))


_PRODUCT_WITH_STOCK = FixedQuery(lambda tenant_id, pk: with_stock(Product.objects.filter(tenant_id=tenant_id, pk=pk)))


def product_with_stock(*, tenant_id: int, product_id: int) -> Product | None:
    """The tenant's product with its on-hand (`stock_quantity`), or None. Every scan at the till
    asks it, so it is a fixed read (`savdo.core.fixed`)."""
    return _PRODUCT_WITH_STOCK.first(tenant_id, product_id)


def product_with_stock_read(*, tenant_id: int, product_id: int) -> tuple[FixedQuery, tuple]:
    """`product_with_stock` as a read for `savdo.core.fixed.read_together` (its rows: the product,
    or none)."""
    return _PRODUCT_WITH_STOCK, (tenant_id, product_id)


def low_stock(*, products: QuerySet[Product]) -> QuerySet[Product]:
    """Active products whose on-hand is at or below their reorder level, the emptiest first."""
    return (
        with_stock(products)
        .filter(is_active=True, stock_quantity__lte=F("reorder_level"))
        .order_by("stock_quantity", "name", "id")
    )


def movement_list(*, tenant: Tenant) -> QuerySet[StockMovement]:
    return (
        StockMovement.objects.for_tenant(tenant)
        .select_related("product", "batch", "user")
        .order_by("-created_at", "-id")
    )


def batch_list(*, tenant: Tenant) -> QuerySet[Batch]:
    return Batch.objects.for_tenant(tenant).select_related("product").order_by("product_id", "expiry_date", "id")
