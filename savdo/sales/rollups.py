"""Daily rollups: written in the checkout/refund transaction, rebuilt from the sales on demand.

Rules both paths follow (so `rollups_rebuild` equals what the incremental writes produced):
- a checkout counts on the tenant's local date of `Sale.completed_at`: sales count and amount,
  discount, tax, cost, items, payments per method (`Payment.amount`, i.e. net of change), the
  customer once per day (`DailyCustomer`), and per product quantity, revenue (line totals),
  cost, profit and one sale;
- a refund counts on the local date of `Refund.created_at`, in the `refund*` columns and per
  product `refunded_*`, and lowers the product's profit by (refunded revenue - refunded cost);
- a sale that is later refunded stays in its checkout day's sales (the refund is its own day's
  event); cancelled and pending sales count nowhere.

Incremental writes are upserts, one statement per table: `INSERT ... ON CONFLICT (key) DO UPDATE
SET col = table.col + excluded.col` (PostgreSQL, SQLite 3.24+; Django's `update_conflicts` can only
overwrite), so concurrent tills never lose an increment and the query count does not grow with the
number of lines. The statement is raw SQL: it renews the read caches' versions itself.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connections, router, transaction
from django.db.models import Count, Model, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from savdo.core import counts
from savdo.core.dates import local_day_bounds
from savdo.core.money import ZERO, ZERO_QTY
from savdo.core.sql import prepared
from savdo.sales.choices import PaymentMethod, SaleStatus
from savdo.sales.models import (
    DailyCustomer,
    DailyProductSales,
    DailySales,
    Payment,
    Refund,
    RefundItem,
    RefundPayment,
    Sale,
    SaleItem,
)
from savdo.tenancy.models import Tenant

COUNTED_SALE_STATUSES = (SaleStatus.COMPLETED, SaleStatus.REFUNDED)
PAID_COLUMNS = {method: f"{method}_amount" for method in PaymentMethod.values}
REFUNDED_COLUMNS = {method: f"{method}_refunded" for method in PaymentMethod.values}


def tenant_zone(tenant: Tenant) -> ZoneInfo:
    return ZoneInfo(tenant.time_zone)


def local_date(tenant: Tenant, moment: datetime) -> date:
    """The tenant's calendar date at `moment` (what "today" and daily reports mean)."""
    return timezone.localtime(moment, tenant_zone(tenant)).date()


@dataclass
class ProductDelta:
    quantity: Decimal = ZERO_QTY
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    profit: Decimal = ZERO
    sales_count: int = 0
    refunded_quantity: Decimal = ZERO_QTY
    refunded_revenue: Decimal = ZERO
    refunded_cost: Decimal = ZERO

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class DayDelta:
    values: dict[str, Decimal | int] = field(default_factory=dict)

    def add(self, name: str, value) -> None:
        if value:
            self.values[name] = self.values.get(name, 0) + value


@dataclass(frozen=True)
class _Upsert:
    model: type[Model]
    sql: str
    params: list
    tenant_ids: frozenset


# (model, keys, columns given, row count, adding, returning, database) -> the statement's text
_UPSERT_SQL: dict[tuple, str] = {}


def _number_default(field) -> bool:
    """Whether the field's default is a plain number (the rollups' counters: 0), written into the
    statement's text when no row gives a value for it."""
    default = field.default
    return type(default) in (int, Decimal) and not field.primary_key


def _upsert_statement(
    model: type[Model], *, keys: Sequence[str], rows: Sequence[dict], adding: Iterable[str], returning: bool = False
) -> _Upsert | None:
    """Insert `rows` (attname -> value; model defaults for the rest); where a row with the same
    `keys` exists, add the row's `adding` values to it instead (none: leave it). One statement for
    all rows; the rows' keys must differ (one row per key). With `returning`, the statement returns
    the ids of the rows it inserted. None for no rows.

    A column no row names, with a number default, is that number in the statement's text: a
    checkout's rollups then pass ~30 parameters, not ~60 (psycopg caches the conversion of a
    statement of at most 50), and the text is built once per shape."""
    if not rows:
        return None
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    named = set().union(*rows)
    given = [f for f in fields if f.attname in named or not _number_default(f)]
    adding = tuple(adding)
    shape = (model, tuple(keys), tuple(f.attname for f in given), len(rows), adding, returning, connection.alias)
    sql = _UPSERT_SQL.get(shape)
    if sql is None:
        sql = _UPSERT_SQL[shape] = _upsert_sql(model, keys, fields, given, len(rows), adding, returning, connection)
    params = []
    for row in rows:
        params.extend(f.get_db_prep_save(row.get(f.attname, f.get_default()), connection) for f in given)
    return _Upsert(model, sql, params, frozenset(row["tenant_id"] for row in rows))


def _upsert_sql(model, keys, fields, given, row_count, adding, returning, connection) -> str:
    quote = connection.ops.quote_name
    meta = model._meta
    table = quote(meta.db_table)
    one_row = "(" + ", ".join("%s" if f in given else str(f.default) for f in fields) + ")"
    added = [quote(meta.get_field(name).column) for name in adding]
    action = "DO UPDATE SET " + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in added) if added else "DO NOTHING"
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)}) VALUES {', '.join([one_row] * row_count)} "
        f"ON CONFLICT ({', '.join(quote(meta.get_field(k).column) for k in keys)}) {action}"
    )
    if returning:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return sql


def _insert_if_new(model: type[Model], *, keys: Sequence[str], row: dict) -> bool:
    """Insert `row` unless a row with the same `keys` exists; True if it was new (`RETURNING`: the
    database must return columns from inserts)."""
    upsert = _upsert_statement(model, keys=keys, rows=[row], adding=(), returning=True)
    connection = connections[router.db_for_write(model)]
    with connection.cursor() as cursor:
        cursor.execute(upsert.sql, upsert.params)
        inserted = bool(cursor.fetchall())
    if inserted:
        counts.changed(model, upsert.tenant_ids, using=connection.alias)
    return inserted


_COMBINED_SQL: dict[tuple[str, ...], str] = {}  # the parts' texts -> the one statement's


def _run_upserts(upserts: Sequence[_Upsert | None]) -> None:
    """Run upserts (without `RETURNING`): on PostgreSQL as one statement, each but the last in a
    data-modifying `WITH` (one round trip for a checkout's day and product rollups), elsewhere one
    after the other. The tables must differ (the parts of one statement do not see each other);
    PostgreSQL picks the order the parts lock their rows in, the same for every checkout and refund."""
    upserts = [u for u in upserts if u is not None]
    if not upserts:
        return
    connection = connections[router.db_for_write(upserts[0].model)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(upserts) > 1:
            texts = tuple(u.sql for u in upserts)
            sql = _COMBINED_SQL.get(texts)
            if sql is None:
                parts = ", ".join(f"_upsert{index} AS ({text})" for index, text in enumerate(texts[:-1]))
                sql = _COMBINED_SQL[texts] = prepared(f"WITH {parts} {texts[-1]}")
            cursor.execute(sql, [p for u in upserts for p in u.params])
        else:
            for upsert in upserts:
                cursor.execute(upsert.sql, upsert.params)
    for upsert in upserts:
        counts.changed(upsert.model, upsert.tenant_ids, using=connection.alias)


def _day_upsert(tenant: Tenant, day: date, delta: DayDelta) -> _Upsert | None:
    return _upsert_statement(
        DailySales,
        keys=("tenant", "date"),
        rows=[{"tenant_id": tenant.pk, "date": day, **delta.values}],
        adding=delta.values,
    )


def _products_upsert(tenant: Tenant, day: date, deltas: dict[int, ProductDelta]) -> _Upsert | None:
    values = {pid: deltas[pid].as_dict() for pid in sorted(deltas)}
    # the columns every row leaves at zero stay out: they hold their default, 0
    adding = sorted({name for row in values.values() for name, value in row.items() if value})
    rows = [
        {"tenant_id": tenant.pk, "date": day, "product_id": pid, **{name: row[name] for name in adding}}
        for pid, row in values.items()
    ]
    return _upsert_statement(DailyProductSales, keys=("tenant", "date", "product"), rows=rows, adding=adding)


def _first_visit_of_day(tenant: Tenant, day: date, customer_id: int) -> bool:
    """Record that the customer bought on `day`; True if this is their first purchase that day.
    One `INSERT ... ON CONFLICT DO NOTHING RETURNING` where the database returns inserted rows."""
    if not connections[router.db_for_write(DailyCustomer)].features.can_return_columns_from_insert:
        _seen, created = DailyCustomer.objects.get_or_create(tenant=tenant, date=day, customer_id=customer_id)
        return created
    row = {"tenant_id": tenant.pk, "date": day, "customer_id": customer_id}
    keys = ("tenant", "date", "customer")
    return _insert_if_new(DailyCustomer, keys=keys, row=row)


def record_checkout(*, sale: Sale, items: Iterable[SaleItem], payments: Iterable[Payment]) -> None:
    """Add a completed checkout to its day's rollups. Precondition: inside the checkout transaction,
    after the stock locks (per-product rollup rows are only touched by holders of those locks)."""
    assert transaction.get_connection().in_atomic_block
    tenant = sale.tenant
    day = local_date(tenant, sale.completed_at)
    delta = DayDelta()
    delta.add("sales_count", 1)
    delta.add("sales_amount", sale.total_amount)
    delta.add("discount_amount", sale.discount_amount)
    delta.add("tax_amount", sale.tax_amount)
    delta.add("cost_amount", sale.cost_amount)
    delta.add("items_sold", sale.items_quantity)
    for payment in payments:
        delta.add(PAID_COLUMNS[payment.payment_method], payment.amount)
    if sale.customer_id and _first_visit_of_day(tenant, day, sale.customer_id):
        delta.add("unique_customers", 1)

    products: dict[int, ProductDelta] = defaultdict(ProductDelta)
    for item in items:
        row = products[item.product_id]
        row.quantity += item.quantity
        row.revenue += item.total_amount
        row.cost += item.cost_amount
        row.profit += item.total_amount - item.cost_amount
        row.sales_count = 1
    _run_upserts([_day_upsert(tenant, day, delta), _products_upsert(tenant, day, products)])


@dataclass(frozen=True)
class RefundLineAmounts:
    quantity: Decimal
    amount: Decimal
    cost: Decimal


def record_refund(
    *, refund: Refund, lines: Iterable[tuple[int, RefundLineAmounts]], payments: Iterable[RefundPayment]
) -> None:
    """Add a refund to its day's rollups (same preconditions as `record_checkout`). `lines` pairs
    each refunded product id with what was refunded of it."""
    assert transaction.get_connection().in_atomic_block
    tenant = refund.tenant
    day = local_date(tenant, refund.created_at)
    delta = DayDelta()
    delta.add("refunds_count", 1)
    delta.add("refunds_amount", refund.amount)
    delta.add("refunded_discount", refund.discount_amount)
    delta.add("refunded_tax", refund.tax_amount)
    delta.add("refunded_cost", refund.cost_amount)
    delta.add("refunded_items", refund.items_quantity)
    for payment in payments:
        delta.add(REFUNDED_COLUMNS[payment.payment_method], payment.amount)

    products: dict[int, ProductDelta] = defaultdict(ProductDelta)
    for product_id, amounts in lines:
        row = products[product_id]
        row.refunded_quantity += amounts.quantity
        row.refunded_revenue += amounts.amount
        row.refunded_cost += amounts.cost
        row.profit -= amounts.amount - amounts.cost
    _run_upserts([_day_upsert(tenant, day, delta), _products_upsert(tenant, day, products)])


# --- rebuild ------------------------------------------------------------------------------------


@transaction.atomic
def rollups_rebuild(*, tenant: Tenant, date_from: date, date_to: date) -> int:
    """Recompute the tenant's rollups for local days `date_from`..`date_to` from the sales, payments
    and refunds themselves (replacing what is there). Returns the number of days with data.

    Cost grows with the sales in the period (it reads them, grouped by day in the database).
    Concurrent checkouts in the period should be paused (run it off-hours); rows are replaced in
    one transaction.
    """
    zone = tenant_zone(tenant)
    start, end = local_day_bounds(tenant, date_from, date_to)
    in_period = {"tenant": tenant, "date__gte": date_from, "date__lte": date_to}
    DailySales.objects.filter(**in_period).delete()
    DailyProductSales.objects.filter(**in_period).delete()
    DailyCustomer.objects.filter(**in_period).delete()

    days: dict[date, DayDelta] = defaultdict(DayDelta)
    sales = Sale.objects.filter(
        tenant=tenant, status__in=COUNTED_SALE_STATUSES, completed_at__gte=start, completed_at__lt=end
    ).annotate(day=TruncDate("completed_at", tzinfo=zone))
    for row in sales.values("day").annotate(
        n=Count("id"),
        amount=Sum("total_amount"),
        discount=Sum("discount_amount"),
        tax=Sum("tax_amount"),
        cost=Sum("cost_amount"),
        items=Sum("items_quantity"),
        customers=Count("customer", distinct=True),
    ):
        day = days[row["day"]]
        day.add("sales_count", row["n"])
        day.add("sales_amount", row["amount"])
        day.add("discount_amount", row["discount"])
        day.add("tax_amount", row["tax"])
        day.add("cost_amount", row["cost"])
        day.add("items_sold", row["items"])
        day.add("unique_customers", row["customers"])
    seen = sales.filter(customer__isnull=False).values_list("day", "customer_id").distinct()
    DailyCustomer.objects.bulk_create(
        [DailyCustomer(tenant=tenant, date=day, customer_id=customer_id) for day, customer_id in seen], batch_size=1000
    )
    payments = Payment.objects.filter(sale__in=sales.values("pk"), tenant=tenant).annotate(
        day=TruncDate("sale__completed_at", tzinfo=zone)
    )
    for row in payments.values("day", "payment_method").annotate(amount=Sum("amount")):
        days[row["day"]].add(PAID_COLUMNS[row["payment_method"]], row["amount"])

    refunds = Refund.objects.filter(tenant=tenant, created_at__gte=start, created_at__lt=end).annotate(
        day=TruncDate("created_at", tzinfo=zone)
    )
    for row in refunds.values("day").annotate(
        n=Count("id"),
        amount=Sum("amount"),
        discount=Sum("discount_amount"),
        tax=Sum("tax_amount"),
        cost=Sum("cost_amount"),
        items=Sum("items_quantity"),
    ):
        day = days[row["day"]]
        day.add("refunds_count", row["n"])
        day.add("refunds_amount", row["amount"])
        day.add("refunded_discount", row["discount"])
        day.add("refunded_tax", row["tax"])
        day.add("refunded_cost", row["cost"])
        day.add("refunded_items", row["items"])
    refund_payments = RefundPayment.objects.filter(refund__in=refunds.values("pk"), tenant=tenant).annotate(
        day=TruncDate("refund__created_at", tzinfo=zone)
    )
    for row in refund_payments.values("day", "payment_method").annotate(amount=Sum("amount")):
        days[row["day"]].add(REFUNDED_COLUMNS[row["payment_method"]], row["amount"])

    DailySales.objects.bulk_create(
        [DailySales(tenant=tenant, date=day, **delta.values) for day, delta in sorted(days.items())], batch_size=500
    )

    products: dict[tuple[date, int], ProductDelta] = defaultdict(ProductDelta)
    sold = (
        SaleItem.objects.filter(sale__in=sales.values("pk"), tenant=tenant)
        .annotate(day=TruncDate("sale__completed_at", tzinfo=zone))
        .values("day", "product_id")
        .annotate(
            qty=Sum("quantity"), revenue=Sum("total_amount"), cost=Sum("cost_amount"), n=Count("sale", distinct=True)
        )
    )
    for row in sold:
        delta = products[(row["day"], row["product_id"])]
        delta.quantity += row["qty"]
        delta.revenue += row["revenue"]
        delta.cost += row["cost"]
        delta.profit += row["revenue"] - row["cost"]
        delta.sales_count += row["n"]
    returned = (
        RefundItem.objects.filter(refund__in=refunds.values("pk"), tenant=tenant)
        .annotate(day=TruncDate("refund__created_at", tzinfo=zone))
        .values("day", "sale_item__product_id")
        .annotate(qty=Sum("quantity"), amount=Sum("amount"), cost=Sum("cost_amount"))
    )
    for row in returned:
        delta = products[(row["day"], row["sale_item__product_id"])]
        delta.refunded_quantity += row["qty"]
        delta.refunded_revenue += row["amount"]
        delta.refunded_cost += row["cost"]
        delta.profit -= row["amount"] - row["cost"]
    DailyProductSales.objects.bulk_create(
        [
            DailyProductSales(tenant=tenant, date=day, product_id=pid, **delta.as_dict())
            for (day, pid), delta in sorted(products.items())
        ],
        batch_size=500,
    )
    return len(days)


def rollup_rows(*, tenant: Tenant, date_from: date | None = None, date_to: date | None = None) -> dict:
    """The tenant's rollup rows as plain values (for comparing incremental with rebuilt)."""
    period = Q(tenant=tenant)
    if date_from:
        period &= Q(date__gte=date_from)
    if date_to:
        period &= Q(date__lte=date_to)
    skip = {"id", "tenant"}

    def rows(model, key):
        names = [f.attname for f in model._meta.concrete_fields if f.name not in skip]
        return {key(r): r for r in model.objects.filter(period).values(*names)}

    return {
        "days": rows(DailySales, lambda r: r["date"]),
        "products": rows(DailyProductSales, lambda r: (r["date"], r["product_id"])),
        "customers": rows(DailyCustomer, lambda r: (r["date"], r["customer_id"])),
    }
