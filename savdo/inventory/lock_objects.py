"""Row locks on stock, always taken in one order so concurrent writers queue instead of deadlocking.

Order: balance rows by product id, then batch rows by batch id. Every writer of stock (receive,
adjust, sale, refund) goes through these. On SQLite `select_for_update` is a no-op; there the
IMMEDIATE transaction mode serialises writers instead.
"""

from collections.abc import Iterable

from django.db.models import Q

from savdo.core.fixed import FixedQuery
from savdo.inventory.models import Batch, StockBalance
from savdo.tenancy.models import Tenant

# Every checkout takes these locks: fixed reads (`savdo.core.fixed`), a plan per number of products.
_BALANCES = FixedQuery(
    lambda tenant_id, product_ids: (
        StockBalance.objects.select_for_update()
        .filter(tenant_id=tenant_id, product_id__in=product_ids)
        .order_by("product_id")
    )
)
_STOCKED = ~Q(quantity=0)
_BATCHES = FixedQuery(
    lambda tenant_id, product_ids: (
        Batch.objects.select_for_update()
        .filter(Q(product_id__in=product_ids) & _STOCKED, tenant_id=tenant_id)
        .order_by("id")
    )
)
_BATCHES_AND_NAMED = FixedQuery(
    lambda tenant_id, product_ids, batch_ids: (
        Batch.objects.select_for_update()
        .filter((Q(product_id__in=product_ids) & _STOCKED) | Q(pk__in=batch_ids), tenant_id=tenant_id)
        .order_by("id")
    )
)


def balances_for_update(*, tenant: Tenant, product_ids: Iterable[int]) -> dict[int, StockBalance]:
    """Lock (creating at zero where missing) the balance rows of `product_ids`, in product id order."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}

    def locked() -> dict[int, StockBalance]:
        return {row.product_id: row for row in _BALANCES(tenant.pk, ids)}

    balances = locked()
    missing = [pid for pid in ids if pid not in balances]
    if missing:
        # A concurrent first movement may create the same rows: the unique product column decides.
        StockBalance.objects.bulk_create(
            [StockBalance(tenant=tenant, product_id=pid) for pid in missing], ignore_conflicts=True
        )
        balances = locked()
    return balances


def batches_for_update(*, tenant: Tenant, product_ids: Iterable[int], batch_ids: Iterable[int] = ()) -> list[Batch]:
    """Lock, in id order, every batch of `product_ids` holding non-zero stock plus the batches named."""
    ids = sorted(set(product_ids))
    named = sorted(set(batch_ids))
    if not ids and not named:
        return []
    if named:
        return _BATCHES_AND_NAMED(tenant.pk, ids, named)
    return _BATCHES(tenant.pk, ids)


def batch_for_update(*, tenant: Tenant, batch_id: int) -> Batch:
    return Batch.objects.select_for_update().get(tenant=tenant, pk=batch_id)
