"""Shift and sale commands: open/close a shift, ring up, check out, cancel, refund.

Every command takes the acting `Membership` (`actor`: user, tenant and role) and objects already
looked up in `actor.tenant`. Rules the API cannot express live here:

- a cashier works in their own open shift; managers (and above) may act on any shift's sales and
  close any shift;
- a shift has at most one pending sale: `scan-item` creates it or adds to it (database constraint);
- receipt numbers come from the tenant's counter (`last_number + 1` in one UPDATE, under the
  counter's row lock), at the moment the pending sale is created (001 shows a pending sale with its
  number); the unique (tenant, receipt_number) constraint is the judge. Cancelled sales keep their
  numbers;
- the customer's discount (the larger of their personal and their active group's discount) is
  fixed when they are attached and applies to every line;
- checkout and refund take locks in one order: sale row, stock balances (product id order),
  batches (id order), then the customer row, then the rollup rows. That order makes concurrent
  checkouts queue instead of deadlocking;
- closing a shift that has a pending sale with lines is refused, unless `cancel_pending` is given:
  then that sale is cancelled (kept, with its lines, as a cancelled sale). Nothing is lost.

The till's commands (scan, add, remove, set customer, checkout) return the sale with its lines,
payments and refunds attached as `selectors.sale_list` prefetches them (`sale.items.all()` reads
memory), so rendering the answer costs no further query.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import PermissionDenied

from savdo.audit.services import change_record, diff, json_value, snapshot
from savdo.catalog.choices import unit_allows_fractions
from savdo.catalog.exceptions import RuleViolation
from savdo.catalog.models import Product
from savdo.core.batching import batched_atomic, commit_without_flush, send_with_commit
from savdo.core.fixed import FixedQuery, read_together, save_row
from savdo.core.money import HUNDRED, ZERO, ZERO_QTY, money
from savdo.core.money import quantity as as_quantity
from savdo.core.sql import Literal, prepared
from savdo.customers.models import Customer, CustomerStatus
from savdo.inventory.exceptions import InsufficientStock
from savdo.inventory.models import Batch, StockBalance
from savdo.inventory.selectors import product_with_stock_read
from savdo.inventory.services import StockChange, StockRequest, stock_return, stock_take
from savdo.sales import rollups
from savdo.sales.choices import (
    PaymentMethod,
    SaleStatus,
    ShiftStatus,
    sale_can_become,
    sale_command_allowed,
    shift_can_close,
)
from savdo.sales.lock_objects import (
    pending_sale_for_update,
    pending_sale_read,
    sale_and_lines_for_update,
    sale_for_update,
    session_for_update,
    session_read,
)
from savdo.sales.models import (
    CashSession,
    Payment,
    ReceiptCounter,
    Refund,
    RefundItem,
    RefundPayment,
    Sale,
    SaleItem,
    SaleItemAllocation,
)
from savdo.sales.selectors import shift_cash_summary
from savdo.tenancy.models import Membership, Tenant
from savdo.tenancy.roles import is_manager

RECEIPT_PREFIX = "CHECK"
ACTION_MESSAGES = {
    "edit": gettext_lazy("Sale %(receipt)s is %(status)s: only a pending sale can be changed."),
    "checkout": gettext_lazy("Sale %(receipt)s is %(status)s: only a pending sale can be checked out."),
    "cancel": gettext_lazy("Sale %(receipt)s is %(status)s: only a pending sale can be cancelled."),
    "refund": gettext_lazy("Sale %(receipt)s is %(status)s: only a completed sale can be refunded."),
}


# --- inputs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentInput:
    payment_method: str
    amount: Decimal
    received_amount: Decimal | None = None
    card_last4: str = ""
    transaction_id: str = ""


@dataclass(frozen=True)
class RefundLine:
    item_id: int
    quantity: Decimal


# --- shared checks ----------------------------------------------------------------------------------


# What the change log keeps of a sale's and a shift's commands (savdo.audit): the money and the
# status; a checkout and a refund add their payments and the stock they moved.
_SALE_LOGGED = (
    "status",
    "customer",
    "total_amount",
    "paid_amount",
    "change_amount",
    "cost_amount",
    "refunded_amount",
    "loyalty_points",
    "completed_at",
    "cancelled_at",
)
_SHIFT_CLOSED = ["status", "closed_at", "closed_by", "expected_cash", "actual_cash", "cash_difference", "note"]


def _log_sale(sale: Sale, actor: Membership, command: str, before: dict, **added) -> None:
    """The change-log row of a sale command: the sale's changed fields and `added` (as `[null,
    value]`), written in the command's transaction (queued with the till's COMMIT)."""
    changes = diff(before, snapshot(sale, _SALE_LOGGED))
    changes.update({name: [None, json_value(value)] for name, value in added.items() if value not in (None, "", [])})
    change_record(instance=sale, action=command, changes=changes, actor_id=actor.user_id)


def _require(sale: Sale, command: str) -> None:
    if not sale_command_allowed(command, sale.status):
        raise RuleViolation(str(ACTION_MESSAGES[command]) % {"receipt": sale.receipt_number, "status": sale.status})


def _move(sale: Sale, target: str) -> None:
    """Set the sale's status, if the state machine (`choices.SALE_TRANSITIONS`) allows it."""
    if not sale_can_become(sale.status, target):
        raise RuleViolation(
            _("Sale %(receipt)s is %(status)s and cannot become %(target)s.")
            % {"receipt": sale.receipt_number, "status": sale.status, "target": target}
        )
    sale.status = target


def _require_operator(actor: Membership, cashier_id: int) -> None:
    """A cashier acts only in their own shift; managers and above in any."""
    if cashier_id != actor.user_id and not is_manager(actor.role):
        raise PermissionDenied(_("This shift belongs to another cashier."))


def customer_discount_percent(customer: Customer | None) -> Decimal:
    """The discount a customer gets: the larger of their own and their (active) group's."""
    if customer is None:
        return Decimal("0.00")
    group = customer.group if customer.group_id else None
    group_percent = group.discount_percent if group is not None and group.is_active else Decimal("0")
    return max(Decimal(customer.discount_percent), Decimal(group_percent)).quantize(Decimal("0.01"))


# --- shifts ---------------------------------------------------------------------------------------


@transaction.atomic
def shift_open(*, actor: Membership, opening_balance: Decimal) -> CashSession:
    """Open a shift for the acting user. One open shift per cashier: a second one is refused (the
    partial unique constraint decides between concurrent requests)."""
    opening_balance = money(opening_balance)
    if opening_balance < 0:
        raise ValidationError({"opening_balance": [_("The opening balance cannot be negative.")]})
    existing = CashSession.objects.filter(tenant=actor.tenant, cashier=actor.user, status=ShiftStatus.OPEN).first()
    message = _("You already have an open shift (#%(id)s); close it before opening another.")
    if existing is not None:
        raise RuleViolation(message % {"id": existing.pk})
    try:
        with transaction.atomic():
            session = CashSession.objects.create(
                tenant=actor.tenant, cashier=actor.user, opening_balance=opening_balance, opened_at=timezone.now()
            )
            change_record(instance=session, action="open", after=snapshot(session), actor_id=actor.user_id)
            return session
    except IntegrityError as exc:
        existing = CashSession.objects.filter(tenant=actor.tenant, cashier=actor.user, status=ShiftStatus.OPEN).first()
        raise RuleViolation(message % {"id": existing.pk if existing else "?"}) from exc


@transaction.atomic
def shift_close(
    *, actor: Membership, session: CashSession, actual_cash: Decimal, cancel_pending: bool = False, note: str = ""
) -> CashSession:
    """Close a shift with the counted cash; records expected cash and the difference.

    Preconditions: the shift is open; the actor is its cashier or a manager. A pending sale with
    lines refuses the close unless `cancel_pending` (then it is cancelled and kept); an empty
    pending sale is cancelled silently.
    """
    session = _locked_session(actor, session.pk)
    _require_operator(actor, session.cashier_id)
    if not shift_can_close(session.status):
        raise RuleViolation(_("Shift #%(id)s is %(status)s.") % {"id": session.pk, "status": session.status})
    actual_cash = money(actual_cash)
    if actual_cash < 0:
        raise ValidationError({"actual_cash": [_("Counted cash cannot be negative.")]})
    now = timezone.now()
    pending = pending_sale_for_update(tenant_id=session.tenant_id, session_id=session.pk)
    if pending is not None:
        lines = pending.items.count()
        if lines and not cancel_pending:
            raise RuleViolation(
                _(
                    "Shift #%(id)s has a pending sale %(receipt)s with %(lines)d lines: check it out or cancel it "
                    "first, or close with cancel_pending=true to cancel it."
                )
                % {"id": session.pk, "receipt": pending.receipt_number, "lines": lines}
            )
        _cancel(pending, now)
    summary = shift_cash_summary(session=session)
    before = snapshot(session, _SHIFT_CLOSED)
    session.status = ShiftStatus.CLOSED
    session.closed_at = now
    session.closed_by = actor.user
    session.expected_cash = summary["expected_cash"]
    session.actual_cash = actual_cash
    session.cash_difference = actual_cash - summary["expected_cash"]
    session.note = (note or "")[:500]
    session.save(update_fields=_SHIFT_CLOSED)
    change_record(
        instance=session,
        action="close",
        before=before,
        after=snapshot(session, _SHIFT_CLOSED),
        actor_id=actor.user_id,
    )
    return session


def open_shift_of(*, actor: Membership) -> CashSession | None:
    return CashSession.objects.filter(tenant=actor.tenant, cashier=actor.user, status=ShiftStatus.OPEN).first()


# --- pending sale -------------------------------------------------------------------------------


def _bump_receipt_counter(tenant: Tenant) -> int | None:
    """The tenant's counter plus one, written and read back in one statement; None if the tenant
    has no counter yet. `UPDATE ... RETURNING` (PostgreSQL, SQLite 3.35+); elsewhere update + read."""
    counters = ReceiptCounter.objects.filter(tenant=tenant)
    connection = connections[counters.db]
    if not connection.features.can_return_columns_from_insert:
        if not counters.update(last_number=F("last_number") + 1):
            return None
        return counters.values_list("last_number", flat=True).get()
    quote = connection.ops.quote_name
    table = quote(ReceiptCounter._meta.db_table)
    column = quote(ReceiptCounter._meta.get_field("last_number").column)
    tenant_column = quote(ReceiptCounter._meta.get_field("tenant").column)
    with connection.cursor() as cursor:
        cursor.execute(
            prepared(f"UPDATE {table} SET {column} = {column} + 1 WHERE {tenant_column} = %s RETURNING {column}"),
            [tenant.pk],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _next_receipt_number(tenant: Tenant, now) -> str:
    """The tenant's next receipt number, e.g. CHECK-20250117-000042 (local date + sequence)."""
    number = _bump_receipt_counter(tenant)
    if number is None:
        ReceiptCounter.objects.get_or_create(tenant=tenant)
        number = _bump_receipt_counter(tenant)
    return f"{RECEIPT_PREFIX}-{rollups.local_date(tenant, now):%Y%m%d}-{number:06d}"


def _locked_session(actor: Membership, session_id: int) -> CashSession:
    """The actor's tenant's shift, its row locked; a 400 on `session` if the tenant has none such."""
    session = session_for_update(tenant_id=actor.tenant_id, session_id=session_id)
    if session is None:
        raise _no_such_session()
    return session


def _no_such_session() -> ValidationError:
    return ValidationError({"session": [_("Not found.")]})


def _check_open_session(actor: Membership, session: CashSession) -> None:
    if session.status != ShiftStatus.OPEN:
        raise ValidationError({"session": [_("Shift #%(id)s is closed.") % {"id": session.pk}]})
    _require_operator(actor, session.cashier_id)


# A sale's lines (id order), as `sale.items` reads them; fixed reads (`savdo.core.fixed`): every
# scan and checkout reads them.
_ITEMS = FixedQuery(lambda sale_id: SaleItem.objects.filter(sale_id=sale_id).order_by("id"))
_ITEMS_WITH_PRODUCT = FixedQuery(
    lambda sale_id: SaleItem.objects.filter(sale_id=sale_id).select_related("product").order_by("id")
)
# ... with their products' current costs, for stock taken without a batch
_ITEMS_WITH_PRODUCT_COST = FixedQuery(
    lambda sale_id: (
        SaleItem.objects.filter(sale_id=sale_id).annotate(product_cost=F("product__cost_price")).order_by("id")
    )
)


# ... the lines of a shift's pending sale (read with its lock: `pending_sale_read`)
_PENDING_ITEMS = FixedQuery(
    lambda tenant_id, session_id: SaleItem.objects.filter(
        Exact(F("sale__status"), Literal(SaleStatus.PENDING)), sale__tenant_id=tenant_id, sale__session_id=session_id
    ).order_by("id")
)


def _load_items(sale: Sale, *, with_product: bool = False, query: FixedQuery | None = None) -> list[SaleItem]:
    query = query or (_ITEMS_WITH_PRODUCT if with_product else _ITEMS)
    return _owned_items(sale, query(sale.pk))


def _owned_items(sale: Sale, items: list[SaleItem]) -> list[SaleItem]:
    for item in items:  # as `sale.items` does: each line knows its sale
        SaleItem.sale.field.set_cached_value(item, sale)
    return items


RELATED_ROWS = ("items", "payments", "refunds")


def _keep_related(
    sale: Sale, items: list[SaleItem], payments: Sequence[Payment] = (), refunds: Sequence[Refund] = ()
) -> Sale:
    """Attach the sale's complete lines, payments and refunds (id order) as a prefetch would, so
    `sale.items.all()` & co. read them from memory. Only for rows this command has just read or
    written under the sale's lock: they are what a fresh read would return. Inserted rows get their
    ids when the database answers (with the COMMIT, when the writes were queued: `savdo.core.
    batching`); on a database that does not return ids from bulk inserts nothing is attached."""
    groups = (items, payments, refunds)
    if not connections[sale._state.db or "default"].features.can_return_rows_from_bulk_insert:
        return sale
    cache = {}
    for name, rows in zip(RELATED_ROWS, groups, strict=True):
        queryset = getattr(sale, name).all()
        queryset._result_cache = list(rows)
        queryset._prefetch_done = True
        cache[name] = queryset
    sale._prefetched_objects_cache = cache
    return sale


def sale_carries_related(sale: Sale) -> bool:
    """Whether the sale holds its lines, payments and refunds already (a command attached them, or
    a selector prefetched them): rendering it then needs no query for them."""
    cache = getattr(sale, "_prefetched_objects_cache", None) or {}
    return all(name in cache for name in RELATED_ROWS)


def _with_actor_user(sale: Sale, actor: Membership) -> None:
    """The cashier is usually the actor: reuse their loaded user instead of reading it again."""
    if sale.cashier_id == actor.user_id and Membership.user.is_cached(actor):
        sale.cashier = actor.user


_TOTALS = (
    "customer",
    "discount_percent",
    "subtotal",
    "discount_amount",
    "tax_amount",
    "total_amount",
    "items_quantity",
    "updated_at",
)


def _save_totals(sale: Sale, items: list[SaleItem]) -> None:
    sale.recalculate(items)
    save_row(sale, _TOTALS)


def _check_quantity(product: Product, qty: Decimal, field: str = "quantity") -> Decimal:
    qty = as_quantity(qty)
    if qty <= 0:
        raise ValidationError({field: [_("Quantity must be greater than zero.")]})
    if not unit_allows_fractions(product.unit) and qty != qty.to_integral_value():
        raise ValidationError(
            {field: [_('"%(product)s" is sold in whole %(unit)s.') % {"product": product.name, "unit": product.unit}]}
        )
    return qty


def _check_available(sale: Sale, items: list[SaleItem], product: Product, batch: Batch | None) -> None:
    """An early, advisory stock check while ringing up (checkout checks again under lock). On-hand
    is `product.stock_quantity` when the caller loaded the product `with_stock`, else read here."""
    if sale.tenant.allow_negative_stock:
        return
    in_cart = sum((i.quantity for i in items if i.product_id == product.pk), ZERO_QTY)
    on_hand = getattr(product, "stock_quantity", None)
    if on_hand is None:
        on_hand = StockBalance.objects.filter(product=product).values_list("quantity", flat=True).first()
    on_hand = on_hand or ZERO_QTY
    if in_cart > on_hand:
        raise InsufficientStock.of(product.name, on_hand, in_cart)
    if batch is not None:
        in_batch = sum((i.quantity for i in items if i.batch_id == batch.pk), ZERO_QTY)
        if in_batch > batch.quantity:
            raise InsufficientStock.of(product.name, batch.quantity, in_batch, batch.batch_number)


def _add_line(
    sale: Sale, product: Product, qty: Decimal, batch: Batch | None, items: list[SaleItem] | None = None
) -> list[SaleItem]:
    """Add `qty` of product (from batch) to the pending sale: the same product and batch again
    increases that line; a new line copies the product's current name, price and tax rate.
    `items` are the sale's lines if the caller has them. Returns the sale's lines after."""
    if not product.is_active:
        raise ValidationError({"product": [_('Product "%(product)s" is not active.') % {"product": product.name}]})
    qty = _check_quantity(product, qty)
    if batch is not None and batch.product_id != product.pk:
        raise ValidationError({"batch": [_("This batch does not belong to the product.")]})
    if items is None:
        items = _load_items(sale)
    line = next((i for i in items if i.product_id == product.pk and i.batch_id == (batch.pk if batch else None)), None)
    if line is None:
        line = SaleItem(
            tenant=sale.tenant,
            sale=sale,
            product=product,
            batch=batch,
            product_name=product.name,
            product_sku=product.sku,
            unit=product.unit,
            quantity=qty,
            unit_price=product.sale_price,
            discount_percent=sale.discount_percent,
            tax_rate=product.tax_rate,
            unit_cost=batch.cost_price if batch is not None else product.cost_price,
        )
        items.append(line)
    else:
        line.quantity += qty
    _check_available(sale, items, product, batch)
    line.reprice()
    send_with_commit()  # only writes from here on: the line and totals go with the COMMIT
    # a line in the cart: the COMMIT need not wait for the disk; a checkout's does, and flushes it too
    commit_without_flush()
    save_row(line)
    _save_totals(sale, items)
    return items


def _apply_customer(sale: Sale, items: list[SaleItem], customer: Customer | None) -> None:
    if customer is not None and customer.status == CustomerStatus.BLOCKED:
        raise ValidationError({"customer": [_("This customer is blocked.")]})
    sale.customer = customer
    percent = customer_discount_percent(customer)
    if percent != sale.discount_percent:
        sale.discount_percent = percent
        for item in items:
            item.discount_percent = percent
            item.reprice()
        if items:
            SaleItem.objects.filter(tenant_id=sale.tenant_id).bulk_update(
                items, ["discount_percent", "subtotal", "discount_amount", "total_amount", "tax_amount"]
            )


@batched_atomic()
def sale_scan_item(
    *,
    actor: Membership,
    product: Product | int,
    quantity: Decimal,
    session: CashSession | int | None = None,
    batch: Batch | None = None,
    customer: Customer | None = None,
) -> Sale:
    """Add a scanned product to the shift's pending sale, creating that sale (and its receipt
    number) if there is none. `session` is a shift (or the id of one) of the actor's tenant; without
    it, the actor's open shift. `customer`, if given, is attached (their discount applies).
    `product` is a product of the actor's tenant read with its stock on hand (`product_with_stock`),
    or the id of one: then it is read with the sale's lock, and `Product.DoesNotExist` is raised
    (before anything else is checked) when the tenant has no such product.

    Locks the pending sale, reading its shift in the same statement, so two scans at one till queue
    (as with every other change of it). The shift row is locked only to create the sale, and then
    before it (shift, then sale). A shift with a pending sale is open while that sale is locked:
    closing it needs the sale's lock to cancel it (or refuses), so the shift read with it is good
    enough to check. An id of no shift of the tenant is a 400 on `session`.
    """
    if session is None:
        session = open_shift_of(actor=actor)
        if session is None:
            raise RuleViolation(_("Open a shift first."))
    session_id = session if isinstance(session, int) else session.pk
    reads = [
        pending_sale_read(tenant_id=actor.tenant_id, session_id=session_id),
        (_PENDING_ITEMS, (actor.tenant_id, session_id)),
    ]
    if isinstance(product, int):
        reads.append(product_with_stock_read(tenant_id=actor.tenant_id, product_id=product))
    sales, items, *found = read_together(*reads)
    if found:
        if not found[0]:
            raise Product.DoesNotExist(f"The tenant has no product {product}.")
        product = found[0][0]
    sale = sales[0] if sales else None
    if sale is None:
        # the shift locked, then (another scan may have created it meanwhile) its pending sale again,
        # with its lines: one round trip, the locks in that order
        sessions, sales, items = read_together(
            session_read(tenant_id=actor.tenant_id, session_id=session_id),
            pending_sale_read(tenant_id=actor.tenant_id, session_id=session_id),
            (_PENDING_ITEMS, (actor.tenant_id, session_id)),
        )
        if not sessions:
            raise _no_such_session()
        session = sessions[0]
        _check_open_session(actor, session)
        sale = sales[0] if sales else None
        items = _owned_items(sale, items) if sale is not None else []
    else:
        session = sale.session
        _check_open_session(actor, session)
        items = _owned_items(sale, items)
    if sale is None:
        now = timezone.now()
        sale = Sale(
            tenant=actor.tenant,
            session=session,
            cashier=actor.user,
            receipt_number=_next_receipt_number(actor.tenant, now),
            created_at=now,
        )
        save_row(sale)
    else:
        sale.session = session
        _with_actor_user(sale, actor)
    sale.tenant = actor.tenant
    if customer is not None and customer.pk != sale.customer_id:
        _apply_customer(sale, items, customer)
    return _keep_related(sale, _add_line(sale, product, quantity, batch, items))


@transaction.atomic
def sale_add_item(
    *, actor: Membership, sale: Sale, product: Product, quantity: Decimal, batch: Batch | None = None
) -> Sale:
    """Add a product to a pending sale (same merging as scanning)."""
    sale = sale_for_update(sale)
    _require(sale, "edit")
    _require_operator(actor, sale.session.cashier_id)
    sale.tenant = actor.tenant
    _with_actor_user(sale, actor)
    return _keep_related(sale, _add_line(sale, product, quantity, batch))


@transaction.atomic
def sale_remove_item(*, actor: Membership, sale: Sale, item_id: int, quantity: Decimal | None = None) -> Sale:
    """Remove a line of a pending sale, or only `quantity` of it (the line goes when none is left)."""
    sale = sale_for_update(sale)
    _require(sale, "edit")
    _require_operator(actor, sale.session.cashier_id)
    items = _load_items(sale, with_product=True)
    line = next((i for i in items if i.pk == item_id), None)
    if line is None:
        raise ValidationError({"item_id": [_("There is no such line in this sale.")]})
    if quantity is None or as_quantity(quantity) >= line.quantity:
        line.delete()
        items.remove(line)
    else:
        line.quantity -= _check_quantity(line.product, quantity)
        line.reprice()
        line.save()
    _save_totals(sale, items)
    _with_actor_user(sale, actor)
    return _keep_related(sale, items)


@transaction.atomic
def sale_set_customer(*, actor: Membership, sale: Sale, customer: Customer | None) -> Sale:
    """Attach a customer to a pending sale, change it, or detach it (None); lines are repriced
    with the customer's discount."""
    sale = sale_for_update(sale)
    _require(sale, "edit")
    _require_operator(actor, sale.session.cashier_id)
    items = _load_items(sale)
    _apply_customer(sale, items, customer)
    _save_totals(sale, items)
    _with_actor_user(sale, actor)
    return _keep_related(sale, items)


def _cancel(sale: Sale, now) -> None:
    _move(sale, SaleStatus.CANCELLED)
    sale.cancelled_at = now
    sale.save(update_fields=["status", "cancelled_at", "updated_at"])


@transaction.atomic
def sale_cancel(*, actor: Membership, sale: Sale) -> Sale:
    """Cancel a pending sale. Its lines stay (as a record); no stock or money had moved."""
    sale = sale_for_update(sale)
    _require(sale, "cancel")
    _require_operator(actor, sale.session.cashier_id)
    before = snapshot(sale, _SALE_LOGGED)
    _cancel(sale, timezone.now())
    _log_sale(sale, actor, "cancel", before)
    return sale


# --- checkout -------------------------------------------------------------------------------------


def _build_payments(sale: Sale, payments: Sequence[PaymentInput], now) -> list[Payment]:
    """Validate the payments against the total and build their rows (change only from cash)."""
    if not payments and sale.total_amount > 0:
        raise ValidationError({"payments": [_("At least one payment is required.")]})
    rows = []
    for index, p in enumerate(payments):
        amount = money(p.amount)
        if p.payment_method not in PaymentMethod.values:
            raise ValidationError(
                {"payments": [_("Unknown payment method %(method)s.") % {"method": p.payment_method}]}
            )
        if amount <= 0:
            raise ValidationError({"payments": [_("Payment %(n)d: the amount must be positive.") % {"n": index + 1}]})
        received = amount
        change = ZERO
        if p.payment_method == PaymentMethod.CASH:
            if p.received_amount is not None:
                received = money(p.received_amount)
            if received < amount:
                raise ValidationError(
                    {
                        "payments": [
                            _("Payment %(n)d: cash received %(received)s is less than the amount %(amount)s.")
                            % {"n": index + 1, "received": received, "amount": amount}
                        ]
                    }
                )
            change = received - amount
        elif p.received_amount is not None and money(p.received_amount) != amount:
            raise ValidationError({"payments": [_("Payment %(n)d: change is given only for cash.") % {"n": index + 1}]})
        rows.append(
            Payment(
                tenant=sale.tenant,
                sale=sale,
                payment_method=p.payment_method,
                amount=amount,
                received_amount=received,
                change_amount=change,
                card_last4=(p.card_last4 or "")[:4],
                transaction_id=(p.transaction_id or "")[:100],
                created_at=now,
            )
        )
    paid = sum((r.amount for r in rows), ZERO)
    if paid != sale.total_amount:
        raise ValidationError(
            {
                "payments": [
                    _("The payments add up to %(paid)s but the sale total is %(total)s; they must match exactly.")
                    % {"paid": paid, "total": sale.total_amount}
                ]
            }
        )
    return rows


@batched_atomic()
def sale_checkout(*, actor: Membership, sale: Sale, payments: Sequence[PaymentInput]) -> Sale:
    """Complete a pending sale in one transaction: stock taken (ledger + balances), lines costed,
    payments recorded, the customer's statistics and loyalty points raised, rollups added.

    Preconditions: the sale is pending (checked under its row lock, so of two concurrent checkouts
    one completes and the other is refused) and has lines; payments cover the total exactly.
    Query count is constant in the number of lines.
    """
    now = timezone.now()
    # the lines with the lock; the products' current costs (for stock without a batch) ride along
    sale, items = sale_and_lines_for_update(sale, _ITEMS_WITH_PRODUCT_COST)
    tenant = actor.tenant
    sale.tenant = tenant
    items = _owned_items(sale, items)
    _require(sale, "checkout")
    _require_operator(actor, sale.session.cashier_id)
    if sale.session.status != ShiftStatus.OPEN:
        raise RuleViolation(_("Shift #%(id)s is closed.") % {"id": sale.session_id})
    if not items:
        raise RuleViolation(_("Sale %(receipt)s has no lines.") % {"receipt": sale.receipt_number})
    payment_rows = _build_payments(sale, payments, now)
    # From here on the stock locks and their checks are read, and everything else written: the
    # writes go with the COMMIT (`savdo.core.batching`), so the locks are held one round trip.
    send_with_commit()
    allocations = stock_take(
        tenant=tenant,
        user=actor.user,
        requests=[
            StockRequest(
                key=item.pk,
                product_id=item.product_id,
                product_name=item.product_name,
                quantity=item.quantity,
                batch_id=item.batch_id,
                default_cost=item.product_cost,
            )
            for item in items
        ],
        reference=sale.receipt_number,
        now=now,
    )
    allocation_rows = []
    rung_up_costs = {item.pk: (item.unit_cost, item.cost_amount) for item in items}
    for item in items:
        parts = allocations.get(item.pk, [])
        item.cost_amount = money(sum((a.quantity * a.unit_cost for a in parts), ZERO))
        item.unit_cost = money(item.cost_amount / item.quantity)
        allocation_rows.extend(
            SaleItemAllocation(
                tenant=tenant, item=item, batch_id=a.batch_id, quantity=a.quantity, unit_cost=a.unit_cost
            )
            for a in parts
        )
    # lines whose stock cost what they were rung up at (the usual case) are written already
    costed = [item for item in items if (item.unit_cost, item.cost_amount) != rung_up_costs[item.pk]]
    if costed:
        SaleItem.objects.filter(tenant=tenant).bulk_update(costed, ["unit_cost", "cost_amount"])
    SaleItemAllocation.objects.bulk_create(allocation_rows)
    Payment.objects.bulk_create(payment_rows)

    before = snapshot(sale, _SALE_LOGGED)
    _move(sale, SaleStatus.COMPLETED)
    sale.completed_at = now
    sale.paid_amount = sum((p.amount for p in payment_rows), ZERO)
    sale.change_amount = sum((p.change_amount for p in payment_rows), ZERO)
    sale.cost_amount = sum((i.cost_amount for i in items), ZERO)
    sale.loyalty_points = money(sale.total_amount * tenant.loyalty_percent / HUNDRED) if sale.customer_id else ZERO
    save_row(
        sale, ("status", "completed_at", "paid_amount", "change_amount", "cost_amount", "loyalty_points", "updated_at")
    )
    if sale.customer_id:
        Customer.objects.filter(tenant=tenant, pk=sale.customer_id).update(
            total_purchases=F("total_purchases") + Value(sale.total_amount),
            total_purchases_count=F("total_purchases_count") + 1,
            loyalty_points=F("loyalty_points") + Value(sale.loyalty_points),
            # the later of the two: tills committing out of order never move it back
            last_purchase_at=Greatest(Coalesce(F("last_purchase_at"), Value(now)), Value(now)),
        )
    rollups.record_checkout(sale=sale, items=items, payments=payment_rows)
    _log_sale(
        sale,
        actor,
        "checkout",
        before,
        payments=[{"method": p.payment_method, "amount": p.amount, "change": p.change_amount} for p in payment_rows],
        stock=[
            {"product": a.item.product_id, "batch": a.batch_id, "quantity": -a.quantity, "unit_cost": a.unit_cost}
            for a in allocation_rows
        ],
    )
    _with_actor_user(sale, actor)
    return _keep_related(sale, items, payment_rows)


# --- refund ---------------------------------------------------------------------------------------


def _refund_session(actor: Membership, sale: Sale) -> CashSession | None:
    own = open_shift_of(actor=actor)
    if own is not None:
        return own
    # The sale's shift, read under its lock: a close running at the same moment either counts this
    # refund's cash (it waits for this transaction) or has closed the shift (the refund is on none).
    shift = session_for_update(tenant_id=sale.tenant_id, session_id=sale.session_id)
    return shift if shift is not None and shift.status == ShiftStatus.OPEN else None


def _resolve_refund_lines(
    items: dict[int, SaleItem], lines: Sequence[RefundLine] | None
) -> list[tuple[SaleItem, Decimal]]:
    if not lines:
        chosen = [(item, item.refundable_quantity) for item in items.values() if item.refundable_quantity > 0]
        if not chosen:
            raise RuleViolation(_("Nothing is left to refund in this sale."))
        return chosen
    chosen = []
    seen = set()
    for line in lines:
        item = items.get(line.item_id)
        if item is None:
            raise ValidationError({"items": [_("Line %(id)s is not in this sale.") % {"id": line.item_id}]})
        if line.item_id in seen:
            raise ValidationError({"items": [_("Line %(id)s is listed twice.") % {"id": line.item_id}]})
        seen.add(line.item_id)
        qty = _check_quantity(item.product, line.quantity, field="items")
        if qty > item.refundable_quantity:
            raise ValidationError(
                {
                    "items": [
                        _('Line %(id)s ("%(product)s"): %(left)s can still be refunded, %(requested)s requested.')
                        % {
                            "id": item.pk,
                            "product": item.product_name,
                            "left": item.refundable_quantity,
                            "requested": qty,
                        }
                    ]
                }
            )
        chosen.append((item, qty))
    return chosen


def _share(total: Decimal, already: Decimal, qty: Decimal, line_qty: Decimal, is_rest: bool) -> Decimal:
    """The part of a line amount a refund of `qty` takes: exactly the rest, or proportional (rounded,
    never more than the rest, so the refunds of a line never add up past it)."""
    if is_rest:
        return total - already
    return min(money(total * qty / line_qty), total - already)


@transaction.atomic
def sale_refund(
    *, actor: Membership, sale: Sale, lines: Sequence[RefundLine] | None = None, reason: str = ""
) -> Refund:
    """Refund all that is left of a completed sale (no lines) or the given quantities of its lines.

    Reverses exactly what it refunds: goods go back to the batches they were taken from, money back
    to the sale's payments (cash first, then the others in the order taken), the customer's total,
    loyalty points (and, when nothing is left, purchase count) go down, rollups get the refund on
    today's local date. The last refund takes exact remainders so the refunds add up to the sale.
    Preconditions: the sale is completed (under its row lock); the actor may refund (managers,
    checked by the API).
    """
    now = timezone.now()
    sale = sale_for_update(sale)
    tenant = actor.tenant
    sale.tenant = tenant
    _require(sale, "refund")
    items = {i.pk: i for i in sale.items.select_related("product").order_by("id")}
    chosen = _resolve_refund_lines(items, lines)

    allocations: dict[int, list[SaleItemAllocation]] = defaultdict(list)
    for allocation in SaleItemAllocation.objects.filter(item_id__in=[i.pk for i, _q in chosen]).order_by("-id"):
        allocations[allocation.item_id].append(allocation)

    refund = Refund(
        tenant=tenant,
        sale=sale,
        session=_refund_session(actor, sale),
        user=actor.user,
        created_at=now,
        reason=(reason or "")[:500],
        amount=ZERO,
    )
    refund_items: list[RefundItem] = []
    stock_changes: list[StockChange] = []
    touched_allocations: list[SaleItemAllocation] = []
    rollup_lines: list[tuple[int, rollups.RefundLineAmounts]] = []
    for item, qty in chosen:
        is_rest = qty == item.refundable_quantity
        returned_cost = ZERO
        remaining = qty
        for allocation in allocations[item.pk]:  # latest allocation first
            free = allocation.quantity - allocation.refunded_quantity
            if remaining <= 0 or free <= 0:
                continue
            back = min(free, remaining)
            allocation.refunded_quantity += back
            remaining -= back
            returned_cost += back * allocation.unit_cost
            touched_allocations.append(allocation)
            stock_changes.append(StockChange(item.product_id, allocation.batch_id, back, allocation.unit_cost))
        amount = _share(item.total_amount, item.refunded_amount, qty, item.quantity, is_rest)
        discount = _share(item.discount_amount, item.refunded_discount, qty, item.quantity, is_rest)
        tax = _share(item.tax_amount, item.refunded_tax, qty, item.quantity, is_rest)
        cost_left = item.cost_amount - item.refunded_cost
        cost = cost_left if is_rest else min(money(returned_cost), cost_left)
        item.refunded_quantity += qty
        item.refunded_amount += amount
        item.refunded_discount += discount
        item.refunded_tax += tax
        item.refunded_cost += cost
        refund_items.append(
            RefundItem(
                tenant=tenant,
                refund=refund,
                sale_item=item,
                quantity=qty,
                amount=amount,
                discount_amount=discount,
                tax_amount=tax,
                cost_amount=cost,
            )
        )
        rollup_lines.append((item.product_id, rollups.RefundLineAmounts(qty, amount, cost)))

    refund.amount = sum((r.amount for r in refund_items), ZERO)
    refund.discount_amount = sum((r.discount_amount for r in refund_items), ZERO)
    refund.tax_amount = sum((r.tax_amount for r in refund_items), ZERO)
    refund.cost_amount = sum((r.cost_amount for r in refund_items), ZERO)
    refund.items_quantity = sum((r.quantity for r in refund_items), ZERO_QTY)
    refund.is_full = all(i.refunded_quantity == i.quantity for i in items.values())
    if sale.customer_id:
        reversed_before = Refund.objects.filter(sale=sale).aggregate(total=Sum("loyalty_points"))["total"] or ZERO
        earned_left = sale.loyalty_points - reversed_before
        if refund.is_full or not sale.total_amount:
            refund.loyalty_points = earned_left
        else:
            refund.loyalty_points = min(earned_left, money(sale.loyalty_points * refund.amount / sale.total_amount))
    refund.save()

    stock_return(
        tenant=tenant,
        user=actor.user,
        changes=stock_changes,
        reference=sale.receipt_number,
        reason=refund.reason,
        now=now,
    )
    SaleItemAllocation.objects.filter(tenant=tenant).bulk_update(touched_allocations, ["refunded_quantity"])
    SaleItem.objects.filter(tenant=tenant).bulk_update(
        [i for i, _q in chosen],
        ["refunded_quantity", "refunded_amount", "refunded_discount", "refunded_tax", "refunded_cost"],
    )
    RefundItem.objects.bulk_create(refund_items)
    refund_payments = _refund_to_payments(refund, sale)

    before = snapshot(sale, _SALE_LOGGED)
    sale.refunded_amount += refund.amount
    _move(sale, SaleStatus.REFUNDED if refund.is_full else SaleStatus.COMPLETED)
    sale.save(update_fields=["refunded_amount", "status", "updated_at"])
    if sale.customer_id:
        Customer.objects.filter(tenant=tenant, pk=sale.customer_id).update(
            total_purchases=F("total_purchases") - Value(refund.amount),
            loyalty_points=F("loyalty_points") - Value(refund.loyalty_points),
            total_purchases_count=F("total_purchases_count") - (1 if refund.is_full else 0),
        )
    rollups.record_refund(refund=refund, lines=rollup_lines, payments=refund_payments)
    _log_sale(
        sale,
        actor,
        "refund",
        before,
        refund=refund.pk,
        reason=refund.reason,
        loyalty_points_reversed=refund.loyalty_points,
        payments=[{"payment": p.payment_id, "method": p.payment_method, "amount": p.amount} for p in refund_payments],
        stock=[
            {"product": c.product_id, "batch": c.batch_id, "quantity": c.quantity, "unit_cost": c.unit_cost}
            for c in stock_changes
        ],
    )
    return refund


def _refund_to_payments(refund: Refund, sale: Sale) -> list[RefundPayment]:
    """Spread the refund over the sale's payments: cash first, then the others in the order taken."""
    payments = sorted(sale.payments.all(), key=lambda p: (p.payment_method != PaymentMethod.CASH, p.pk))
    left = refund.amount
    rows = []
    for payment in payments:
        if left <= 0:
            break
        free = payment.amount - payment.refunded_amount
        if free <= 0:
            continue
        part = min(free, left)
        payment.refunded_amount += part
        left -= part
        rows.append(
            RefundPayment(
                tenant=refund.tenant, refund=refund, payment=payment, payment_method=payment.payment_method, amount=part
            )
        )
    if left > 0:  # pragma: no cover - refunds never exceed what was paid (sale_refund_within_total)
        raise RuleViolation(_("The refund exceeds what was paid."))
    Payment.objects.filter(tenant_id=refund.tenant_id).bulk_update([r.payment for r in rows], ["refunded_amount"])
    RefundPayment.objects.bulk_create(rows)
    return rows
