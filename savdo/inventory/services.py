"""Stock writes: receive, adjust after a count, take for a sale, return for a refund.

Every write follows the same steps, in one transaction:
1. lock the balance rows (product id order) and then the batch rows (batch id order), see
   `lock_objects`;
2. decide, from the locked rows, whether the change is allowed (the tenant's
   `allow_negative_stock` is off by default: on-hand may then never go below zero);
3. write the ledger rows (one `bulk_create`) and move the balances with one `UPDATE ... SET
   quantity = quantity + CASE ... END` per table, so the number of queries does not grow with the
   number of lines.
"""

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from savdo.audit.services import change_record
from savdo.catalog.models import Product
from savdo.core.fixed import add_by_key
from savdo.core.models import updated
from savdo.core.money import ZERO, ZERO_QTY
from savdo.core.money import quantity as as_quantity
from savdo.inventory.choices import MovementKind
from savdo.inventory.exceptions import InsufficientStock
from savdo.inventory.lock_objects import balances_for_update, batch_for_update, batches_for_update, stock_for_update
from savdo.inventory.models import Batch, StockBalance, StockMovement
from savdo.tenancy.models import Tenant


@dataclass(frozen=True)
class StockChange:
    """A signed quantity of a product (from a batch, or unbatched when `batch_id` is None)."""

    product_id: int
    batch_id: int | None
    quantity: Decimal
    unit_cost: Decimal


@dataclass(frozen=True)
class StockRequest:
    """What a sale line asks the stock for. `key` is the caller's line id, echoed in the result."""

    key: Hashable
    product_id: int
    product_name: str
    quantity: Decimal
    batch_id: int | None
    default_cost: Decimal


@dataclass(frozen=True)
class Allocation:
    """Where a sale line's goods came from: a batch (or unbatched stock) and their unit cost."""

    key: Hashable
    product_id: int
    batch_id: int | None
    quantity: Decimal
    unit_cost: Decimal


def _increment(model, tenant: Tenant, key_field: str, deltas: dict[int, Decimal], **values) -> None:
    """One UPDATE adding `deltas[key]` to `quantity` of each of the tenant's rows (never
    read-add-save), with `values` set on them."""
    deltas = {key: delta for key, delta in deltas.items() if delta}
    if not deltas:
        return
    using = router.db_for_write(model)
    add_by_key(model, tenant_id=tenant.pk, key=key_field, column="quantity", deltas=deltas, values=values, using=using)
    updated(model, [tenant.pk], {"quantity", *values}, using=using)


def _apply(
    *,
    tenant: Tenant,
    user,
    kind: str,
    changes: Sequence[StockChange],
    balances: dict[int, StockBalance],
    reference: str = "",
    reason: str = "",
    now: datetime | None = None,
) -> list[StockMovement]:
    """Write the movements for `changes` and move the locked balances by them (3 queries at most)."""
    now = now or timezone.now()
    running = {pid: balance.quantity for pid, balance in balances.items()}
    product_deltas: dict[int, Decimal] = defaultdict(Decimal)
    batch_deltas: dict[int, Decimal] = defaultdict(Decimal)
    movements = []
    for change in changes:
        running[change.product_id] += change.quantity
        product_deltas[change.product_id] += change.quantity
        if change.batch_id is not None:
            batch_deltas[change.batch_id] += change.quantity
        movements.append(
            StockMovement(
                tenant=tenant,
                product_id=change.product_id,
                batch_id=change.batch_id,
                kind=kind,
                quantity=change.quantity,
                balance_after=running[change.product_id],
                unit_cost=change.unit_cost,
                reference=reference,
                reason=reason,
                user=user,
                created_at=now,
            )
        )
    _increment(StockBalance, tenant, "product_id", product_deltas, updated_at=now)
    _increment(Batch, tenant, "pk", batch_deltas, updated_at=now)
    for pid, balance in balances.items():
        balance.quantity = running[pid]
    return StockMovement.objects.bulk_create(movements)


def _fefo_key(batch: Batch):
    """Earliest expiry first; batches without an expiry date last; then the older batch."""
    return (batch.expiry_date is None, batch.expiry_date or date.max, batch.pk)


def stock_take(
    *, tenant: Tenant, user, requests: Sequence[StockRequest], reference: str = "", now: datetime | None = None
) -> dict[Hashable, list[Allocation]]:
    """Take stock for sale lines; returns each line's allocations (batch, quantity, unit cost).

    Preconditions: runs inside the caller's transaction (checkout), which already holds the sale's
    lock. Locks balances then batches. A line naming a batch takes from it; a line naming none takes
    from the earliest-expiring batches with stock, then from unbatched stock. Without negative stock
    allowed, a product (or named batch) short of stock raises InsufficientStock naming it, and
    nothing is written. Query count is constant in the number of lines.
    """
    assert transaction.get_connection().in_atomic_block, "stock_take runs inside the checkout transaction"
    if not requests:
        return {}
    allow_negative = tenant.allow_negative_stock
    product_ids = {r.product_id for r in requests}
    balances, batches = stock_for_update(
        tenant=tenant, product_ids=product_ids, batch_ids=[r.batch_id for r in requests if r.batch_id]
    )
    by_id = {batch.pk: batch for batch in batches}
    left = {batch.pk: batch.quantity for batch in batches}
    on_hand = {pid: balance.quantity for pid, balance in balances.items()}
    in_batches: dict[int, Decimal] = defaultdict(Decimal)
    fefo: dict[int, list[Batch]] = defaultdict(list)
    for batch in sorted(batches, key=_fefo_key):
        in_batches[batch.product_id] += batch.quantity
        fefo[batch.product_id].append(batch)

    requested: dict[int, Decimal] = defaultdict(Decimal)
    names: dict[int, str] = {}
    for r in requests:
        requested[r.product_id] += r.quantity
        names[r.product_id] = r.product_name
    if not allow_negative:
        for pid in sorted(requested):
            if requested[pid] > on_hand[pid]:
                raise InsufficientStock.of(names[pid], on_hand[pid], requested[pid])

    allocations: dict[Hashable, list[Allocation]] = defaultdict(list)
    changes: list[StockChange] = []

    def take(r: StockRequest, batch: Batch | None, qty: Decimal) -> None:
        cost = batch.cost_price if batch is not None else r.default_cost
        batch_id = batch.pk if batch is not None else None
        if batch is not None:
            left[batch.pk] -= qty
            in_batches[r.product_id] -= qty
        on_hand[r.product_id] -= qty
        allocations[r.key].append(Allocation(r.key, r.product_id, batch_id, qty, cost))
        changes.append(StockChange(r.product_id, batch_id, -qty, cost))

    for r in requests:
        if r.batch_id:
            batch = by_id.get(r.batch_id)
            if batch is None or batch.product_id != r.product_id:
                raise ValidationError({"batch": [_("This batch does not belong to the product.")]})
            if not allow_negative and left[batch.pk] < r.quantity:
                raise InsufficientStock.of(r.product_name, left[batch.pk], r.quantity, batch.batch_number)
            take(r, batch, r.quantity)
            continue
        remaining = r.quantity
        for batch in fefo[r.product_id]:
            if remaining <= 0:
                break
            if left[batch.pk] > 0:
                qty = min(left[batch.pk], remaining)
                take(r, batch, qty)
                remaining -= qty
        if remaining > 0:
            unbatched = on_hand[r.product_id] - in_batches[r.product_id]
            if not allow_negative and remaining > unbatched:
                raise InsufficientStock.of(r.product_name, on_hand[r.product_id] + (r.quantity - remaining), r.quantity)
            take(r, None, remaining)
    _apply(
        tenant=tenant,
        user=user,
        kind=MovementKind.SALE,
        changes=changes,
        balances=balances,
        reference=reference,
        now=now,
    )
    return dict(allocations)


def stock_return(
    *, tenant: Tenant, user, changes: Sequence[StockChange], reference: str = "", reason: str = "", now=None
) -> list[StockMovement]:
    """Put goods back (a refund): each change names the batch (or unbatched stock) it returns to.

    Preconditions: runs inside the caller's transaction. Locks balances, then the named batches.
    """
    assert transaction.get_connection().in_atomic_block, "stock_return runs inside the refund transaction"
    changes = [c for c in changes if c.quantity]
    if not changes:
        return []
    balances = balances_for_update(tenant=tenant, product_ids={c.product_id for c in changes})
    batches_for_update(tenant=tenant, product_ids=(), batch_ids=[c.batch_id for c in changes if c.batch_id])
    return _apply(
        tenant=tenant,
        user=user,
        kind=MovementKind.REFUND,
        changes=changes,
        balances=balances,
        reference=reference,
        reason=reason,
        now=now,
    )


@transaction.atomic
def stock_receive(
    *,
    tenant: Tenant,
    user,
    product: Product,
    quantity: Decimal,
    batch: Batch | None = None,
    batch_number: str = "",
    expiry_date: date | None = None,
    cost_price: Decimal | None = None,
    reason: str = "",
) -> StockMovement:
    """Bring goods in: one receipt movement, optionally into a batch.

    `batch` (an existing batch of the product) or `batch_number` (found or created for the product,
    with `expiry_date` and `cost_price`) selects the batch; with neither the goods are unbatched.
    The movement's unit cost is the batch's cost, else `cost_price`, else the product's cost.
    `product` and `batch` belong to `tenant`.
    """
    quantity = as_quantity(quantity)
    if quantity <= 0:
        raise ValidationError({"quantity": [_("Quantity must be greater than zero.")]})
    balances = balances_for_update(tenant=tenant, product_ids=[product.pk])
    batch_number = (batch_number or "").strip()
    if batch is None and batch_number:
        batch, created = Batch.objects.get_or_create(
            tenant=tenant,
            product=product,
            batch_number=batch_number,
            defaults={
                "expiry_date": expiry_date,
                "cost_price": product.cost_price if cost_price is None else cost_price,
            },
        )
        if not created:
            if expiry_date is not None and batch.expiry_date not in (None, expiry_date):
                raise ValidationError(
                    {"expiry_date": [_("Batch %(batch)s already has another expiry date.") % {"batch": batch_number}]}
                )
            if cost_price is not None and batch.cost_price != cost_price:
                raise ValidationError(
                    {"cost_price": [_("Batch %(batch)s already has another cost price.") % {"batch": batch_number}]}
                )
            if expiry_date is not None and batch.expiry_date is None:
                Batch.objects.filter(tenant=tenant, pk=batch.pk).update(expiry_date=expiry_date)
    if batch is not None:
        batch = batch_for_update(tenant=tenant, batch_id=batch.pk)
        if batch.product_id != product.pk:
            raise ValidationError({"batch": [_("This batch does not belong to the product.")]})
        unit_cost = batch.cost_price
    else:
        unit_cost = product.cost_price if cost_price is None else cost_price
    [movement] = _apply(
        tenant=tenant,
        user=user,
        kind=MovementKind.RECEIPT,
        changes=[StockChange(product.pk, batch.pk if batch else None, quantity, unit_cost)],
        balances=balances,
        reason=reason,
    )
    _log_movement(product, movement, "stock_receive", user)
    return movement


def _log_movement(product: Product, movement: StockMovement, command: str, user) -> None:
    """The change-log row of a stock command on the product: on-hand before and after, and the
    movement (the stock ledger keeps every movement; the log says who ran which command)."""
    changes = {
        "stock": [str(movement.balance_after - movement.quantity), str(movement.balance_after)],
        "movement": [None, movement.pk],
        "quantity": [None, str(movement.quantity)],
        "unit_cost": [None, str(movement.unit_cost)],
    }
    if movement.batch_id is not None:
        changes["batch"] = [None, movement.batch_id]
    if movement.reason:
        changes["reason"] = [None, movement.reason]
    change_record(instance=product, action=command, changes=changes, actor_id=getattr(user, "pk", None))


@transaction.atomic
def stock_adjust(
    *, tenant: Tenant, user, product: Product, counted_quantity: Decimal, reason: str, batch: Batch | None = None
) -> StockMovement | None:
    """Set on-hand to what a count found: one adjustment movement for the difference (None if none).

    With `batch`, `counted_quantity` is that batch's count (the product's on-hand moves by the same
    difference); without, it is the product's total count, and may not be below what its batches
    hold (count and adjust the batches then). A reason is required. Counts are never negative.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the stock is adjusted.")]})
    counted = as_quantity(counted_quantity)
    if counted < 0:
        raise ValidationError({"counted_quantity": [_("A counted quantity cannot be negative.")]})
    balances = balances_for_update(tenant=tenant, product_ids=[product.pk])
    if batch is not None:
        batch = batch_for_update(tenant=tenant, batch_id=batch.pk)
        if batch.product_id != product.pk:
            raise ValidationError({"batch": [_("This batch does not belong to the product.")]})
        delta = counted - batch.quantity
        unit_cost = batch.cost_price
    else:
        held = sum((b.quantity for b in batches_for_update(tenant=tenant, product_ids=[product.pk])), ZERO_QTY)
        if counted < held:
            raise ValidationError(
                {
                    "counted_quantity": [
                        _("%(held)s of this product is held in batches; adjust those batches instead.") % {"held": held}
                    ]
                }
            )
        delta = counted - balances[product.pk].quantity
        unit_cost = product.cost_price
    if delta == 0:
        return None
    [movement] = _apply(
        tenant=tenant,
        user=user,
        kind=MovementKind.ADJUSTMENT,
        changes=[StockChange(product.pk, batch.pk if batch else None, delta, unit_cost or ZERO)],
        balances=balances,
        reason=reason,
    )
    _log_movement(product, movement, "stock_adjust", user)
    return movement
