"""Row locks on stock, always taken in one order so concurrent writers queue instead of deadlocking.

Order: balance rows by product id, then batch rows by batch id. Every writer of stock (receive,
adjust, sale, refund) goes through these. On SQLite `select_for_update` is a no-op; there the
IMMEDIATE transaction mode serialises writers instead.
"""

from collections.abc import Iterable

from django.db.models import Q

from savdo.core.fixed import FixedQuery, read_together
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


def stock_for_update(
    *, tenant: Tenant, product_ids: Iterable[int], batch_ids: Iterable[int] = ()
) -> tuple[dict[int, StockBalance], list[Batch]]:
    """`balances_for_update` and `batches_for_update`, in one round trip: the statements run one
    after the other on the server, in that order.

    Balance rows still missing (a product's first stock movement) are created and locked after the
    batches then. That is no deadlock: a product without a balance row has had no movement, so no
    batch of it holds stock, and every batch locked here belongs to a product whose balance this
    transaction locked first (stock writers lock balances before batches)."""
    ids = sorted(set(product_ids))
    named = sorted(set(batch_ids))
    if not ids:
        return {}, batches_for_update(tenant=tenant, product_ids=ids, batch_ids=named)
    batch_read = (_BATCHES_AND_NAMED, (tenant.pk, ids, named)) if named else (_BATCHES, (tenant.pk, ids))
    rows, batches = read_together((_BALANCES, (tenant.pk, ids)), batch_read)
    balances = {row.product_id: row for row in rows}
    if len(balances) < len(ids):
        balances = balances_for_update(tenant=tenant, product_ids=ids)
    return balances, batches


def batch_for_update(*, tenant: Tenant, batch_id: int) -> Batch:
    return Batch.objects.select_for_update().get(tenant=tenant, pk=batch_id)
