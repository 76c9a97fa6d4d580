"""Analytics reads (document 001 §4). Everything is computed at request time, so a sale rung up a
second ago is in every number; nothing here writes.

Where the numbers come from:
- daily reports, period, trends: `DailySales` rows (one per tenant and local day, kept by the sales
  services in the checkout/refund transaction). Their cost grows with the days asked for, never
  with the number of sales.
- top products, slow movers, `days_of_stock`: `DailyProductSales` rows (one per product and day).
- RFM: the per-customer sums of the period's closed days as `savdo refresh-rfm` stored them
  (`RFMBase`), except for the customers something happened to since, recomputed from their own
  sales; without a stored base, one GROUP BY over the period's completed sales. The answer is the
  same either way (see "customers: RFM" below).
- stock: the ledger's balances (`StockBalance`) and the pending sales' lines, read now.

Net versus gross: every amount is net of refunds. A day's `total_sales` is what its checkouts took
minus what was refunded that day (a refund counts on the day it is made, like the till's cash);
`gross_sales` and `total_refunds` show both parts. Discount, tax, cost, items and the per-method
amounts are net the same way; `avg_sale_amount = total_sales / total_sales_count`. A product's
revenue and quantity are net of its refunds, its profit is net revenue minus the cost of the goods
at the moment of sale (minus the cost of what came back). RFM's monetary value is what each sale
kept after its refunds.
"""

import json
import logging
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import (
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Rank
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from savdo.analytics import constants
from savdo.analytics.models import RFMBase, RFMBaseCustomer, RFMBaseDay, StockSnapshot
from savdo.catalog.models import Product
from savdo.core.dates import days_before, local_day_bounds
from savdo.core.money import ZERO, ZERO_QTY, MoneyField, QuantityField, money, quantity
from savdo.customers.models import Customer
from savdo.inventory import selectors as inventory_selectors
from savdo.sales.choices import PaymentMethod, SaleStatus
from savdo.sales.models import DailyProductSales, DailySales, Refund, Sale, SaleItem
from savdo.sales.rollups import local_date
from savdo.tenancy.models import Tenant

TENTH = Decimal("0.1")

logger = logging.getLogger("savdo.analytics")


def _decimal(value, places=money) -> Decimal:
    """A database number as an exact Decimal: SQLite hands raw SQL sums back as floats, whose
    shortest repr is the number meant (Decimal(float) would expose the binary expansion)."""
    if value is None:
        return places(0)
    if isinstance(value, float):
        value = repr(value)
    return places(Decimal(value))


# --- periods ---------------------------------------------------------------------------------------


def tenant_today(tenant: Tenant) -> date:
    """Today in the tenant's time zone."""
    return local_date(tenant, timezone.now())


@dataclass(frozen=True)
class Period:
    """Local days `start`..`end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> Iterator[date]:
        for offset in range(self.days):
            yield self.start + timedelta(days=offset)


def last_days(tenant: Tenant, days: int) -> Period:
    """The `days` local days ending today (today included)."""
    today = tenant_today(tenant)
    return Period(today - timedelta(days=days - 1), today)


def period_or_default(tenant: Tenant, start: date | None, end: date | None, default_days: int) -> Period:
    """The period asked for; a missing end is today, a missing start `default_days` before the end
    (the first day of the calendar at the latest: the dates come validated, `savdo.core.dates`)."""
    end = end or tenant_today(tenant)
    start = start or days_before(end, default_days - 1)
    return Period(start, end)


# --- daily reports ---------------------------------------------------------------------------------

PAYMENT_METHODS = tuple(PaymentMethod.values)


@dataclass(frozen=True)
class DailyReport:
    """One local day's sales, net of that day's refunds (001 §4.1 "Отчёт за сегодня").

    `id` is the rollup row's id (None for a day without sales)."""

    id: int | None
    date: date
    total_sales: Decimal = ZERO
    total_sales_count: int = 0
    avg_sale_amount: Decimal = ZERO
    total_discount: Decimal = ZERO
    total_tax: Decimal = ZERO
    total_items_sold: Decimal = ZERO_QTY
    unique_customers: int = 0
    gross_sales: Decimal = ZERO
    total_refunds: Decimal = ZERO
    refunds_count: int = 0
    total_cost: Decimal = ZERO
    gross_profit: Decimal = ZERO
    payments: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(PAYMENT_METHODS, ZERO))


def average(total: Decimal, count: int) -> Decimal:
    return money(total / count) if count else ZERO


def daily_report_of(row: DailySales | None, day: date) -> DailyReport:
    """The report of a rollup row (or of a day without one: zeros)."""
    if row is None:
        return DailyReport(id=None, date=day)
    net = row.sales_amount - row.refunds_amount
    cost = row.cost_amount - row.refunded_cost
    return DailyReport(
        id=row.pk,
        date=row.date,
        total_sales=net,
        total_sales_count=row.sales_count,
        avg_sale_amount=average(net, row.sales_count),
        total_discount=row.discount_amount - row.refunded_discount,
        total_tax=row.tax_amount - row.refunded_tax,
        total_items_sold=row.items_sold - row.refunded_items,
        unique_customers=row.unique_customers,
        gross_sales=row.sales_amount,
        total_refunds=row.refunds_amount,
        refunds_count=row.refunds_count,
        total_cost=cost,
        gross_profit=net - cost,
        payments={
            method: getattr(row, f"{method}_amount") - getattr(row, f"{method}_refunded") for method in PAYMENT_METHODS
        },
    )


def daily_sales_list(*, tenant: Tenant, start: date | None = None, end: date | None = None) -> QuerySet[DailySales]:
    """The tenant's days with sales or refunds, newest first (`start`/`end` bound them, inclusive)."""
    rows = DailySales.objects.for_tenant(tenant)
    if start:
        rows = rows.filter(date__gte=start)
    if end:
        rows = rows.filter(date__lte=end)
    return rows.order_by("-date", "-id")


def daily_report(*, tenant: Tenant, day: date) -> DailyReport:
    """One day's report; a day without sales answers zeros (one query on the rollup)."""
    return daily_report_of(DailySales.objects.for_tenant(tenant).filter(date=day).first(), day)


def daily_reports(*, tenant: Tenant, period: Period) -> list[DailyReport]:
    """One report per day of the period, oldest first, days without sales as zeros (one query)."""
    rows = {row.date: row for row in daily_sales_list(tenant=tenant, start=period.start, end=period.end)}
    return [daily_report_of(rows.get(day), day) for day in period.dates()]


@dataclass(frozen=True)
class PeriodTotals:
    total_sales: Decimal
    total_count: int
    avg_sale: Decimal
    gross_sales: Decimal
    total_refunds: Decimal
    refunds_count: int
    total_discount: Decimal
    total_tax: Decimal
    total_items_sold: Decimal
    total_cost: Decimal
    gross_profit: Decimal


@dataclass(frozen=True)
class PeriodReport:
    period: Period
    totals: PeriodTotals
    daily_reports: list[DailyReport]


def period_report(*, tenant: Tenant, period: Period) -> PeriodReport:
    """001 §4.1 "Отчёт за период": totals of the period and its days (one query on the rollup)."""
    reports = daily_reports(tenant=tenant, period=period)

    def total(name: str, zero=ZERO):
        return sum((getattr(r, name) for r in reports), zero)

    net = total("total_sales")
    count = total("total_sales_count", 0)
    cost = total("total_cost")
    totals = PeriodTotals(
        total_sales=net,
        total_count=count,
        avg_sale=average(net, count),
        gross_sales=total("gross_sales"),
        total_refunds=total("total_refunds"),
        refunds_count=total("refunds_count", 0),
        total_discount=total("total_discount"),
        total_tax=total("total_tax"),
        total_items_sold=total("total_items_sold", ZERO_QTY),
        total_cost=cost,
        gross_profit=net - cost,
    )
    return PeriodReport(period=period, totals=totals, daily_reports=reports)


# --- products --------------------------------------------------------------------------------------

TOP_PRODUCT_ORDER = {"revenue": "total_revenue", "quantity": "total_quantity", "profit": "total_profit"}


def _net_product_sums() -> dict:
    return {
        "total_revenue": Sum(F("revenue") - F("refunded_revenue"), output_field=MoneyField()),
        "total_quantity": Sum(F("quantity") - F("refunded_quantity"), output_field=QuantityField()),
        "total_profit": Sum("profit", output_field=MoneyField()),
        "sales_count": Sum("sales_count"),
    }


def top_products(*, tenant: Tenant, period: Period, order_by: str = "revenue", limit: int = 10) -> list[dict]:
    """001 §4.2 "Топ товаров": products by net revenue, net quantity or profit over the period, best
    first (ties by name). One statement: the period's per-product rollup rows are summed per product
    on the (tenant, date, product) index and ranked; only products ranked within `limit` (ties
    included, so the name order among them is right) are joined for their name and SKU
    (`product_code`)."""
    key = TOP_PRODUCT_ORDER[order_by]
    ranked = (
        DailyProductSales.objects.for_tenant(tenant)
        .filter(date__gte=period.start, date__lte=period.end)
        .order_by()
        .values("product_id")
        .annotate(**_net_product_sums())
        .annotate(rank=Window(Rank(), order_by=F(key).desc()))
    )
    inner_sql, params = ranked.query.get_compiler(using=ranked.db).as_sql()
    product_table = connection.ops.quote_name(Product._meta.db_table)
    sql = (
        "SELECT ranked.product_id, p.name, p.sku, ranked.total_revenue, ranked.total_quantity, "
        f"ranked.total_profit, ranked.sales_count FROM ({inner_sql}) ranked "
        f"JOIN {product_table} p ON p.id = ranked.product_id WHERE ranked.rank <= %s "
        f"ORDER BY ranked.{key} DESC, p.name, ranked.product_id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, limit])
        rows = cursor.fetchall()
    return [
        {
            "product_id": product_id,
            "product_name": name,
            "product_code": sku,
            "total_revenue": _decimal(revenue),
            "total_quantity": _decimal(sold, quantity),
            "total_profit": _decimal(profit),
            "sales_count": int(sales_count or 0),
        }
        for product_id, name, sku, revenue, sold, profit, sales_count in rows
    ]


def slow_movers(*, tenant: Tenant, period: Period, limit: int = 10) -> list[dict]:
    """001 §4.2 "Медленно продающиеся товары": active products with stock on hand, the slowest
    sellers of the period first (net quantity sold, then number of sales; at equal sales the one
    with more stock first). `last_sold_on` is the last day the product sold at all (None: never).

    One query: a correlated aggregate per product on the (tenant, product, date) rollup index.
    """
    in_period = DailyProductSales.objects.filter(
        tenant=tenant, product=OuterRef("pk"), date__gte=period.start, date__lte=period.end
    )

    def period_sum(expression, output_field):
        return Coalesce(
            Subquery(in_period.values("product").annotate(v=Sum(expression)).values("v"), output_field=output_field),
            Value(0),
            output_field=output_field,
        )

    last_sold = DailyProductSales.objects.filter(tenant=tenant, product=OuterRef("pk"), quantity__gt=0)
    products = (
        inventory_selectors.with_stock(Product.objects.for_tenant(tenant).filter(is_active=True))
        .filter(stock_quantity__gt=0)
        .annotate(
            sold_quantity=period_sum(F("quantity") - F("refunded_quantity"), QuantityField()),
            sold_revenue=period_sum(F("revenue") - F("refunded_revenue"), MoneyField()),
            sold_count=period_sum(F("sales_count"), IntegerField()),
            last_sold_on=Subquery(last_sold.order_by("-date").values("date")[:1]),
        )
        .order_by("sold_quantity", "sold_count", "-stock_quantity", "name", "id")[:limit]
    )
    return [
        {
            "product_id": p.pk,
            "product_name": p.name,
            "product_code": p.sku,
            "quantity_on_hand": quantity(p.stock_quantity),
            "total_quantity": quantity(p.sold_quantity),
            "total_revenue": money(p.sold_revenue),
            "sales_count": int(p.sold_count),
            "last_sold_on": p.last_sold_on,
        }
        for p in products
    ]


# --- customers: RFM --------------------------------------------------------------------------------
#
# Per customer who completed a sale in the period: the last completed sale (recency), how many
# (frequency), what they kept after refunds (monetary, in whole cents in SQL: exact on both
# databases, SQLite sums decimals as floats); a sale refunded in full is no longer `completed` and
# does not count. Each is scored 1..5 by the quintiles of the tenant's customers by rank,
# `(rank - 1) * 5 / customers + 1`, rank ascending with equal values sharing it (NTILE would split
# them by row order, making a customer's segment depend on their id). Rank - 1 is the number of
# customers with a strictly smaller value, so a score is one plus the number of the four cuts whose
# value is below the customer's; the k-th cut (k = 1..4) is the value at position
# `(k * customers + 4) / 5` of the sorted values. So scoring needs twelve values and one pass of
# comparisons, not three RANK windows. The segment is `SEGMENT_GRID` on R and FM = (F + M + 1) / 2,
# looked up in Python on the (R, FM) cells.
#
# Where the rows come from: without a stored base (see `_StoredRFM`), one statement aggregates every
# customer from the period's sales and sorts them for the cuts. With one, the customers nothing has
# happened to since the refresh are read as stored (and the cuts from the stored positions), and
# only the others are recomputed from their own sales.

CUTS = (1, 2, 3, 4)
SCORES = ("r", "f", "m")


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _sql_datetime(value: datetime):
    """A datetime as a raw-SQL parameter (SQLite stores naive UTC text, which raw params must match)."""
    return connection.ops.adapt_datetimefield_value(value)


def _cents(expression: str) -> str:
    return f"CAST(ROUND(({expression}) * 100) AS BIGINT)"


def _from_cents(value) -> Decimal:
    return money(Decimal(int(value or 0)) / 100)


def cut_position(k: int, customers: int) -> int:
    """The 1-based position, in sorted values, of the k-th quintile cut: ceil(k * customers / 5)."""
    return (k * customers + 4) // 5


def _cell(r: int, f: int, m: int) -> int:
    """The code `R * 10 + FM` of a customer's grid cell."""
    return r * 10 + constants.fm_score(f, m)


def _cells_of(segments) -> list[int]:
    return [
        r * 10 + fm for r, row in constants.SEGMENT_GRID.items() for fm, name in enumerate(row, 1) if name in segments
    ]


def _per_customer_sql(where: str) -> str:
    """The RFM row (`customer_id, last_purchase, frequency, monetary`) of every customer with
    completed sales in the period (params of `_period_params`) matching `where`."""
    return (
        "SELECT customer_id, MAX(completed_at) AS last_purchase, COUNT(*) AS frequency, "
        f"{_cents('SUM(total_amount - refunded_amount)')} AS monetary FROM {_table(Sale)} "
        "WHERE tenant_id = %(tenant)s AND status = %(completed)s AND completed_at >= %(period_start)s "
        f"AND completed_at < %(period_end)s AND {where} GROUP BY customer_id"
    )


def _period_params(tenant: Tenant, period: Period) -> dict:
    start, end = local_day_bounds(tenant, period.start, period.end)
    return {
        "tenant": tenant.pk,
        "completed": SaleStatus.COMPLETED,
        "period_start": _sql_datetime(start),
        "period_end": _sql_datetime(end),
    }


def rfm_per_customer_sql(*, tenant: Tenant, period: Period) -> tuple[str, dict]:
    """SQL (with its params) of every customer's RFM row over the period, from the sales alone."""
    return _per_customer_sql("customer_id IS NOT NULL"), _period_params(tenant, period)


def rfm_sales(*, tenant: Tenant, period: Period) -> QuerySet[Sale]:
    """The sales RFM counts: the tenant's completed sales with a customer, completed in the period."""
    start, end = local_day_bounds(tenant, period.start, period.end)
    return Sale.objects.filter(
        tenant=tenant,
        status=SaleStatus.COMPLETED,
        customer__isnull=False,
        completed_at__gte=start,
        completed_at__lt=end,
    )


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _score_sql(column: str, cuts: list[str]) -> str:
    """SQL of a score: one plus the number of `cuts` (SQL expressions) below the column."""
    return "1 + " + " + ".join(f"CASE WHEN {column} > {cut} THEN 1 ELSE 0 END" for cut in cuts)


@dataclass(frozen=True)
class Cuts:
    """The values of the four quintile cuts of recency (`r`: aware datetimes), frequency (`f`) and
    monetary (`m`: whole cents)."""

    r: tuple
    f: tuple
    m: tuple

    def scores(self, last_purchase, frequency, cents) -> tuple[int, int, int]:
        return tuple(
            1 + sum(1 for cut in cuts if value > cut)
            for cuts, value in ((self.r, last_purchase), (self.f, frequency), (self.m, cents))
        )

    def params(self) -> dict:
        cuts = {"r": tuple(_sql_datetime(value) for value in self.r), "f": self.f, "m": self.m}
        return {f"{score}{k}": value for score in SCORES for k, value in zip(CUTS, cuts[score], strict=True)}


# --- from the sales alone (no stored base): one statement each ---------------------------------------


def _full_cuts_ctes() -> str:
    """CTEs after `rfm` (customer rows): `cuts` (r1..r4, f1..f4, m1..m4) and `scored` (the rows
    with `r, f, m`). One sort per value."""
    columns = (("r", "last_purchase"), ("f", "frequency"), ("m", "monetary"))
    if connection.vendor == "postgresql":
        # percentile_disc(x) takes the row at ceil(x * n): x = (position - 0.5) / n lands on it
        # exactly. NULLIF: no division by zero without customers.
        fractions = ", ".join(f"(({k} * n + 4) / 5 - 0.5) / NULLIF(n, 0)" for k in CUTS)
        aggregates = ", ".join(
            f"percentile_disc((SELECT at FROM fractions)) WITHIN GROUP (ORDER BY {column}) AS {score}"
            for score, column in columns
        )
        picks = ", ".join(f"{score}[{k}] AS {score}{k}" for score, _column in columns for k in CUTS)
        cuts = f"""
    customers AS (SELECT COUNT(*) AS n FROM rfm),
    fractions AS (SELECT CAST(ARRAY[{fractions}] AS double precision[]) AS at FROM customers),
    cuts AS (SELECT {picks} FROM (SELECT {aggregates} FROM rfm) sorted)"""
    else:
        positions = ", ".join(f"({k} * n + 4) / 5 AS p{k}" for k in CUTS)
        per_column = ", ".join(
            f"{score}_cuts AS (SELECT "
            + ", ".join(f"MAX(CASE WHEN rn = p{k} THEN v END) AS {score}{k}" for k in CUTS)
            + f" FROM (SELECT {column} AS v, ROW_NUMBER() OVER (ORDER BY {column}) AS rn FROM rfm) ranked"
            " CROSS JOIN positions)"
            for score, column in columns
        )
        cuts = f"""
    customers AS (SELECT COUNT(*) AS n FROM rfm),
    positions AS (SELECT {positions} FROM customers),
    {per_column},
    cuts AS (SELECT * FROM r_cuts CROSS JOIN f_cuts CROSS JOIN m_cuts)"""
    scores = ", ".join(f"{_score_sql(column, [f'{score}{k}' for k in CUTS])} AS {score}" for score, column in columns)
    return f"""{cuts},
    scored AS (SELECT customer_id, last_purchase, frequency, monetary, {scores} FROM rfm CROSS JOIN cuts)"""


def _full_sql(tenant: Tenant, period: Period, select: str) -> tuple[str, dict]:
    sums, params = rfm_per_customer_sql(tenant=tenant, period=period)
    return f"WITH rfm AS ({sums}), {_full_cuts_ctes()} {select}", params


# --- from the stored base and the live sales -----------------------------------------------------------


def rfm_base_for(*, tenant: Tenant, period: Period) -> RFMBase | None:
    """The tenant's stored RFM base if it can serve `period`: computed in the tenant's time zone, and
    its days at most `RFM_BASE_MAX_DRIFT_DAYS` (both ends together) away from the period's."""
    base = RFMBase.objects.for_tenant(tenant).first()
    if base is None or base.time_zone != tenant.time_zone:
        return None
    start, end = local_day_bounds(tenant, period.start, period.end)
    drift = abs(start - base.starts_at) + abs(end - base.ends_at)
    return base if drift <= timedelta(days=constants.RFM_BASE_MAX_DRIFT_DAYS) else None


def _dirty_sql(tenant: Tenant, period: Period, base: RFMBase) -> tuple[str, dict]:
    """One statement: every "dirty" customer (below) with their row recomputed from the period's sales
    (nulls: none left), and a row (customer null) saying whether the base was still there.

    A customer's stored row is their answer unless something the base has not seen may concern
    them. Dirty are the customers with
    - a sale completed in the period but not in the base's days, or the other way round (today's
      buyers; the days the period has slid by since the refresh);
    - a sale completed on a base day whose checkout count (`DailySales.sales_count`) is no longer
      what the base stored (a checkout that committed after the refresh read the rollups), or
      between two such days;
    - a refund made on or after the first stored day whose refund count has moved since, or after
      the stored days (a partial refund lowers monetary; a full one removes the sale).
    Every checkout and refund adds to its day's rollup in its own transaction (and a rollup rebuild
    sets the true count), and the refresh read the rollups before the sales it summed, so an event
    the base has not seen always shows as a moved count: nobody is missed, whatever commits when.
    The stored row of a customer who is not dirty therefore equals what their sales give now, and
    the answer is the sales as this one statement sees them (the base's rows never change).
    """
    params = _period_params(tenant, period)
    start, end = local_day_bounds(tenant, period.start, period.end)
    params.update(
        base=base.pk,
        first_day=connection.ops.adapt_datefield_value(base.first_day),
        last_day=connection.ops.adapt_datefield_value(base.last_day),
        head_from=_sql_datetime(min(start, base.starts_at)),
        head_to=_sql_datetime(max(start, base.starts_at)),
        tail_from=_sql_datetime(min(end, base.ends_at)),
        tail_to=_sql_datetime(max(end, base.ends_at)),
    )
    sale, refund = _table(Sale), _table(Refund)
    moved = "{stored} IS NULL OR {stored} <> COALESCE({now}, 0)"
    # One range per kind of event, both ends given by scalar subqueries: the planner then walks the
    # (tenant, completed_at) and (tenant, created_at) indexes (a join on the days, or a range open at
    # one end, it estimates as a third of the tenant's rows and reads them all).
    sql = f"""WITH
    moved AS (
        SELECT
            MIN(CASE WHEN new_sales THEN starts_at END) AS sales_from,
            MAX(CASE WHEN new_sales THEN ends_at END) AS sales_to,
            COALESCE(MIN(CASE WHEN new_refunds THEN starts_at END), MAX(ends_at)) AS refunds_from
        FROM (
            SELECT d.starts_at, d.ends_at,
                d.date >= %(first_day)s AND d.date <= %(last_day)s
                    AND ({moved.format(stored="d.sales_count", now="ds.sales_count")}) AS new_sales,
                {moved.format(stored="d.refunds_count", now="ds.refunds_count")} AS new_refunds
            FROM {_table(RFMBaseDay)} d
            LEFT JOIN {_table(DailySales)} ds ON ds.tenant_id = %(tenant)s AND ds.date = d.date
            WHERE d.base_id = %(base)s
        ) days
    ),
    dirty AS (
        SELECT customer_id FROM {sale} WHERE tenant_id = %(tenant)s AND completed_at >= %(head_from)s
            AND completed_at < %(head_to)s AND customer_id IS NOT NULL
        UNION
        SELECT customer_id FROM {sale} WHERE tenant_id = %(tenant)s AND completed_at >= %(tail_from)s
            AND completed_at < %(tail_to)s AND customer_id IS NOT NULL
        UNION
        SELECT customer_id FROM {sale} WHERE tenant_id = %(tenant)s
            AND completed_at >= (SELECT sales_from FROM moved) AND completed_at < (SELECT sales_to FROM moved)
            AND customer_id IS NOT NULL
        UNION
        SELECT s.customer_id FROM {refund} r JOIN {sale} s ON s.id = r.sale_id
        WHERE r.tenant_id = %(tenant)s AND r.created_at >= (SELECT refunds_from FROM moved)
            AND r.created_at <= (SELECT MAX(created_at) FROM {refund} WHERE tenant_id = %(tenant)s)
            AND s.customer_id IS NOT NULL
    ),
    fresh AS ({_per_customer_sql("customer_id IN (SELECT customer_id FROM dirty)")})
    SELECT d.customer_id, f.last_purchase, f.frequency, f.monetary, 1
    FROM dirty d
    LEFT JOIN fresh f ON f.customer_id = d.customer_id
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, (SELECT COUNT(*) FROM {_table(RFMBase)} WHERE id = %(base)s)"""
    return sql, params


def _nth_smallest(c: int, window: list[tuple], removed: list, added: list, stored: int):
    """The c-th smallest (1-based) of the stored values, less `removed` (sorted), plus `added`
    (sorted), from the stored rows at the positions around c: `window` holds `(position, rank,
    value, is_removed)` by position for every position in [c - len(added) - 1, c + len(removed) + 1]
    within 1..stored.

    Why the window is enough: in the merged order, whatever the c-th element is, the stored rows
    before it are the ones at lower positions less at most len(removed), and at most len(added)
    added values come before it; so a stored c-th element sits in [c - len(added), c + len(removed)],
    and an added one lies between the values at the window's ends (or beyond the last stored value
    where the window reaches it). For each candidate v, values below v = stored below (its rank - 1,
    or the position of the first stored value above it - 1) - removed below + added below, which
    grows with v; the answer is the largest candidate with at most c - 1 below it."""
    values = [row[2] for row in window]
    low = values[0] if window and window[0][0] > 1 else None  # None: nothing stored below the window
    high = values[-1] if window and window[-1][0] < stored else None  # None: nothing stored above it

    def below(v) -> int:
        index = bisect_left(values, v)
        if index == len(window):
            stored_below = stored
        else:
            position, rank, value, _removed = window[index]
            stored_below = rank - 1 if value == v else position - 1
        return stored_below - bisect_left(removed, v) + bisect_left(added, v)

    candidates = {row[2] for row in window if not row[3]}
    candidates.update(v for v in added if (low is None or v >= low) and (high is None or v <= high))
    ordered = sorted(candidates)
    first, last, best = 0, len(ordered) - 1, None
    while first <= last:  # the last candidate with at most c - 1 below it
        middle = (first + last) // 2
        if below(ordered[middle]) <= c - 1:
            best, first = ordered[middle], middle + 1
        else:
            last = middle - 1
    return best


class _BaseReplaced(Exception):
    """The stored base went between two queries of one answer (a refresh replaced it meanwhile)."""


@dataclass
class _StoredRFM:
    """The period's RFM from a stored base: the dirty customers' live rows (`fresh`: customer id ->
    (last_purchase, frequency, cents)) replace their stored ones (`removed`, same shape); every
    other customer is their stored row. `cuts` are the merged set's, `customers` its size. Every
    query after the first says whether the base was still there (`kept`); the stored rows of a base
    never change, so the answer is the sales as the first query saw them."""

    base: RFMBase
    fresh: dict[int, tuple]
    removed: dict[int, tuple]
    customers: int
    cuts: Cuts | None = None

    KEPT = "(SELECT COUNT(*) FROM {base_table} WHERE id = %(base)s)"

    @classmethod
    def read(cls, tenant: Tenant, period: Period, base: RFMBase) -> "_StoredRFM | None":
        """Two queries: the dirty customers, then their stored rows and the stored rows around the
        cuts. None when the base is not worth it: so many dirty customers that the windows around
        the cuts would hold more than a quarter of the base's rows (and `RFM_BASE_WINDOW_ROWS`),
        where reading them costs about what sorting every customer does."""
        sql, params = _dirty_sql(tenant, period, base)
        dirty, fresh = set(), {}
        for customer_id, last, frequency, cents, kept in _fetch(sql, params):
            if customer_id is None:  # the row saying whether the base was there
                if not kept:
                    raise _BaseReplaced
                continue
            dirty.add(customer_id)
            if last is not None:
                fresh[customer_id] = (_as_datetime(last), int(frequency), int(cents))
        windows = len(CUTS) * len(SCORES) * (len(fresh) + len(dirty) + 3)
        if windows > max(base.customers // 4, constants.RFM_BASE_WINDOW_ROWS):
            return None
        live = cls(base, fresh, removed={}, customers=0)
        return live if live._read_stored(dirty) else None

    def _read_stored(self, dirty: set[int]) -> bool:
        """Read, in one statement, the dirty customers' stored rows (`removed`) and the stored rows
        around the cuts, and set `customers` and `cuts`. False if a cut cannot be found (it always
        can: see `_nth_smallest`).

        The cuts' positions depend on how many dirty customers have a stored row (`gone`): the
        statement counts them first and places the windows by that count."""
        base_rows = f"FROM {_table(RFMBaseCustomer)} WHERE base_id = %(base)s"
        if connection.vendor == "postgresql":
            of_dirty, ids = "customer_id = ANY(%(dirty)s)", sorted(dirty)
        else:
            of_dirty, ids = "customer_id IN (SELECT value FROM json_each(%(dirty)s))", json.dumps(sorted(dirty))
        # The k-th cut's position, (k * customers + 4) / 5, and its window [cut - added - 1, cut + gone + 1].
        cuts = ", ".join(f"({k} * (%(stored)s - n + %(added)s) + 4) / 5 AS c{k}" for k in CUTS)
        ranges = " OR ".join(
            f"{{pos}} BETWEEN (SELECT c{k} - %(added)s - 1 FROM bounds) AND (SELECT c{k} + n + 1 FROM bounds)"
            for k in CUTS
        )
        # A window row carries only its own value (parsing thousands of timestamps costs more than the query).
        only = {"r": "last_purchase, NULL, NULL", "f": "NULL, frequency, NULL", "m": "NULL, NULL, monetary_cents"}
        windows_sql = " UNION ALL ".join(
            f"SELECT '{score}', {score}_pos, {score}_rank, customer_id, {only[score]} {base_rows} "
            f"AND ({ranges.format(pos=score + '_pos')})"
            for score in SCORES
        )
        kept = self.KEPT.format(base_table=_table(RFMBase))
        sql = f"""WITH
            removed AS (SELECT customer_id, last_purchase, frequency, monetary_cents {base_rows} AND {of_dirty}),
            bounds AS (SELECT {cuts}, n FROM (SELECT COUNT(*) AS n FROM removed) gone)
            SELECT *, {kept} FROM (
                SELECT 'dirty', 0, 0, customer_id, last_purchase, frequency, monetary_cents FROM removed
                UNION ALL {windows_sql}
            ) stored ORDER BY 1, 2"""
        stored, added = self.base.customers, len(self.fresh)
        rows = _fetch(sql, {"base": self.base.pk, "dirty": ids, "stored": stored, "added": added})
        if stored:
            self.still_there(rows)
        windows = defaultdict(list)
        for kind, position, rank, customer_id, last_purchase, frequency, cents, _kept in rows:
            if kind == "dirty":
                self.removed[customer_id] = (_as_datetime(last_purchase), int(frequency), int(cents))
            elif kind == "r":
                windows[kind].append((position, rank, _as_datetime(last_purchase), customer_id in dirty))
            else:
                windows[kind].append((position, rank, int(frequency if kind == "f" else cents), customer_id in dirty))
        self.customers = stored - len(self.removed) + added
        if not self.customers:
            return True
        cut_values = {}
        for index, score in enumerate(SCORES):
            rows = windows[score]
            positions = [row[0] for row in rows]
            removed = sorted(row[index] for row in self.removed.values())
            fresh = sorted(row[index] for row in self.fresh.values())
            cuts = []
            for k in CUTS:
                c = cut_position(k, self.customers)
                start = bisect_left(positions, c - len(fresh) - 1)
                end = bisect_left(positions, c + len(removed) + 2)
                cuts.append(_nth_smallest(c, rows[start:end], removed, fresh, stored))
            cut_values[score] = tuple(cuts)
            if None in cut_values[score]:  # cannot be (see `_nth_smallest`): never answer from a wrong cut
                logger.error("RFM cut not found in the stored window of base %s", self.base.pk)
                return False
        self.cuts = Cuts(**cut_values)
        return True

    def scored_sql(self, select: str) -> tuple[str, dict]:
        """`WITH scored AS (every stored row with r, f, m by the cuts) <select>`; `select` ends with
        `{kept}`."""
        scores = ", ".join(
            f"{_score_sql(column, [f'%({score}{k})s' for k in CUTS])} AS {score}"
            for score, column in zip(SCORES, ("last_purchase", "frequency", "monetary_cents"), strict=True)
        )
        sql = (
            f"WITH scored AS (SELECT customer_id, last_purchase, frequency, monetary_cents AS monetary, {scores} "
            f"FROM {_table(RFMBaseCustomer)} WHERE base_id = %(base)s) "
            + select.format(kept=self.KEPT.format(base_table=_table(RFMBase)))
        )
        return sql, {"base": self.base.pk, **self.cuts.params()}

    def cell_of(self, row: tuple) -> int:
        return _cell(*self.cuts.scores(*row))

    def still_there(self, rows: list[tuple]) -> None:
        """Raise `_BaseReplaced` unless the base was there for the statement that gave `rows` (whose
        last column says so); without rows, unless it is there now (a base is only ever deleted:
        there now, there then)."""
        if not (rows[0][-1] if rows else RFMBase.objects.filter(pk=self.base.pk).exists()):
            raise _BaseReplaced


def _from_base_or_sales(tenant: Tenant, period: Period, stored, sales):
    """`stored(live)` from the stored base when one serves the period, else `sales()`. Should the base
    be replaced while answering (a refresh committed meanwhile), once more with the new one."""
    for _attempt in range(2):
        base = rfm_base_for(tenant=tenant, period=period)
        if base is None:
            break
        try:
            live = _StoredRFM.read(tenant, period, base)
            if live is None:
                break
            return stored(live)
        except _BaseReplaced:
            continue
    return sales()


# --- answers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentSummary:
    segment: str
    count: int = 0
    total_spent: Decimal = ZERO
    purchases: int = 0

    @property
    def avg_purchase(self) -> Decimal:
        """The average purchase of the segment: what it spent / how many purchases it made."""
        return average(self.total_spent, self.purchases)


def _cell_totals(tenant: Tenant, period: Period) -> dict[int, list[int]]:
    """Customers, cents and purchases per grid cell (`R * 10 + FM`)."""
    group = "SELECT r * 10 + (f + m + 1) / 2 AS cell, COUNT(*), SUM(monetary), SUM(frequency)"
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(cell: int, customers: int, cents: int, purchases: int) -> None:
        total = totals[cell]
        total[0] += customers
        total[1] += cents
        total[2] += purchases

    def stored(live: _StoredRFM) -> None:
        totals.clear()
        if not live.customers:
            return
        rows = _fetch(*live.scored_sql(f"{group}, {{kept}} FROM scored GROUP BY 1"))
        live.still_there(rows)
        for cell, customers, cents, purchases, _kept in rows:
            add(int(cell), int(customers), int(cents), int(purchases))
        for row in live.removed.values():
            add(live.cell_of(row), -1, -row[2], -row[1])
        for row in live.fresh.values():
            add(live.cell_of(row), 1, row[2], row[1])

    def sales() -> None:
        totals.clear()
        for cell, customers, cents, purchases in _fetch(*_full_sql(tenant, period, f"{group} FROM scored GROUP BY 1")):
            add(int(cell), int(customers), int(cents or 0), int(purchases or 0))

    _from_base_or_sales(tenant, period, stored, sales)
    return {cell: total for cell, total in totals.items() if total[0]}


def rfm_segments(*, tenant: Tenant, period: Period) -> list[SegmentSummary]:
    """001 §4.3 "Сегменты клиентов": every segment (001's order, empty ones as zeros) with its
    customers, their spend and purchases in the period. From a stored base: its header, the dirty
    customers, the stored rows around the cuts, one pass over the stored rows; else one statement."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for cell, (customers, cents, purchases) in _cell_totals(tenant, period).items():
        total = found[constants.SEGMENT_GRID[cell // 10][cell % 10 - 1]]
        total[0] += customers
        total[1] += cents
        total[2] += purchases
    return [
        SegmentSummary(segment, found[segment][0], _from_cents(found[segment][1]), found[segment][2])
        if segment in found
        else SegmentSummary(segment)
        for segment in constants.SEGMENTS
    ]


def _as_datetime(value) -> datetime:
    """A timestamp from raw SQL: aware on PostgreSQL, UTC text on SQLite."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class CustomerRFM:
    customer_id: int
    last_purchase: datetime
    frequency: int
    monetary: Decimal
    recency_score: int
    frequency_score: int
    monetary_score: int
    segment: str
    # Filled for a page of at-risk customers:
    customer: Customer | None = None
    last_purchase_date: date | None = None
    days_since_last_purchase: int | None = None

    @property
    def rfm_score(self) -> str:
        return f"{self.recency_score}{self.frequency_score}{self.monetary_score}"


def _customer_rfm(customer_id, last_purchase, frequency, cents, r, f, m) -> CustomerRFM:
    return CustomerRFM(
        customer_id=int(customer_id),
        last_purchase=_as_datetime(last_purchase),
        frequency=int(frequency),
        monetary=_from_cents(cents),
        recency_score=int(r),
        frequency_score=int(f),
        monetary_score=int(m),
        segment=constants.segment_for(int(r), int(f), int(m)),
    )


def _comparable_row(row: tuple) -> tuple:
    customer_id, last_purchase, frequency, cents, r, f, m = row[:7]
    return (int(customer_id), _as_datetime(last_purchase), int(frequency), int(cents), int(r), int(f), int(m))


def _at_risk_order(row: tuple):
    """Biggest spenders first, then the longest gone, then by id (row: id, last, frequency, cents, ...)."""
    return (-row[3], row[1], row[0])


def _scored_page(tenant: Tenant, period: Period, cells: list[int], offset: int, limit: int | None):
    """The customers in these grid cells in `_at_risk_order`, `limit` (None: all) from `offset`, as
    rows (id, last_purchase, frequency, cents, r, f, m), and how many there are in all."""
    columns = "customer_id, last_purchase, frequency, monetary, r, f, m"
    where = f"WHERE r * 10 + (f + m + 1) / 2 IN ({', '.join(str(int(cell)) for cell in cells) or 'NULL'})"
    order = "ORDER BY monetary DESC, last_purchase ASC, customer_id ASC"
    end = None if limit is None else offset + limit

    def stored(live: _StoredRFM) -> tuple[list[tuple], int]:
        if not live.customers:
            return [], 0
        wanted = set(cells)
        gone = [cid for cid, row in live.removed.items() if live.cell_of(row) in wanted]
        added = [(cid, *row, *live.cuts.scores(*row)) for cid, row in live.fresh.items() if live.cell_of(row) in wanted]
        # Enough stored rows for the page whatever dirty ones are among them (dropped here).
        stored_limit = "" if end is None else f"LIMIT {int(end + len(gone))}"
        sql, params = live.scored_sql(
            f"SELECT {columns}, COUNT(*) OVER (), {{kept}} FROM scored {where} {order} {stored_limit}"
        )
        fetched = _fetch(sql, params)
        live.still_there(fetched)
        stored_total = int(fetched[0][-2]) if fetched else 0
        kept = [_comparable_row(row) for row in fetched if row[0] not in live.removed]
        return sorted(kept + added, key=_at_risk_order)[offset:end], stored_total - len(gone) + len(added)

    def sales() -> tuple[list[tuple], int]:
        page = "" if limit is None else "LIMIT %(limit)s OFFSET %(offset)s"
        select = f"SELECT {columns}, (SELECT COUNT(*) FROM scored {where}) FROM scored {where} {order} {page}"
        sql, params = _full_sql(tenant, period, select)
        fetched = _fetch(sql, {**params, "limit": limit, "offset": offset})
        return [_comparable_row(row) for row in fetched], int(fetched[0][-1]) if fetched else 0

    return _from_base_or_sales(tenant, period, stored, sales)


def rfm_customers(*, tenant: Tenant, period: Period) -> list[CustomerRFM]:
    """Every scored customer of the period (for storing segments on customers)."""
    rows, _total = _scored_page(tenant, period, _cells_of(constants.SEGMENTS), 0, None)
    return [_customer_rfm(*row) for row in rows]


@dataclass(frozen=True)
class AtRiskPage:
    customers: list[CustomerRFM]
    total: int  # at-risk customers in all pages (0 when the page is past the end)


def rfm_at_risk(
    *, tenant: Tenant, period: Period, offset: int = 0, limit: int = 20, segments=constants.AT_RISK_SEGMENTS
) -> AtRiskPage:
    """001 §4.3 "Клиенты в группе риска": the customers in At Risk, Can't Lose Them, Hibernating and
    Lost, biggest spenders first (then the longest gone), `limit` of them from `offset`, with how many
    there are in all; then the page's customers (one query)."""
    found, total = _scored_page(tenant, period, _cells_of(segments), offset, limit)
    rows = [_customer_rfm(*row) for row in found]
    customers = Customer.objects.for_tenant(tenant).in_bulk([row.customer_id for row in rows]) if rows else {}
    today = tenant_today(tenant)
    page = []
    for row in rows:
        last_day = local_date(tenant, row.last_purchase)
        page.append(
            replace(
                row,
                customer=customers[row.customer_id],
                last_purchase_date=last_day,
                days_since_last_purchase=(today - last_day).days,
            )
        )
    return AtRiskPage(customers=page, total=total if rows else 0)


# --- stock -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockRow:
    """A product's stock now (001 §4.4)."""

    product: Product
    quantity_on_hand: Decimal
    reserved_quantity: Decimal
    available_quantity: Decimal
    avg_daily_sales: Decimal
    days_of_stock: Decimal | None
    is_low_stock: bool

    @property
    def product_id(self) -> int:
        return self.product.pk

    @property
    def reorder_level(self) -> Decimal:
        return self.product.reorder_level


def _stock_products(tenant: Tenant) -> QuerySet[Product]:
    return inventory_selectors.with_stock(Product.objects.for_tenant(tenant)).select_related("category")


def stock_levels(*, tenant: Tenant) -> QuerySet[Product]:
    """Products whose stock is reported: the active ones, and any other that still has stock."""
    return _stock_products(tenant).filter(Q(is_active=True) | ~Q(stock_quantity=0)).order_by("name", "id")


def stock_low(*, tenant: Tenant) -> QuerySet[Product]:
    """Active products whose stock on hand is at or below their reorder level, the emptiest first
    (the same rule as `/api/products/products/low-stock/`; out-of-stock products are included)."""
    return inventory_selectors.low_stock(products=_stock_products(tenant))


def stock_out(*, tenant: Tenant) -> QuerySet[Product]:
    """Active products with nothing on hand."""
    return _stock_products(tenant).filter(is_active=True, stock_quantity__lte=0).order_by("name", "id")


def days_of_stock(available: Decimal, sold: Decimal, window_days: int) -> Decimal | None:
    """How many days the available stock lasts at the average daily sales of the window, i.e.
    `available / (sold / window_days)`, to a tenth of a day (None: nothing sold, it does not run out)."""
    if available <= 0:
        return Decimal("0.0")
    if sold <= 0:
        return None
    return (available * window_days / sold).quantize(TENTH, rounding=ROUND_HALF_UP)


def stock_rows(*, tenant: Tenant, products: list[Product], today: date | None = None) -> list[StockRow]:
    """The stock of these products (annotated by `with_stock`) with what pending sales reserve and
    how long it lasts (sales of the 30 days up to `today`, default the tenant's today): two queries
    whatever the number of products."""
    ids = [p.pk for p in products]
    if not ids:
        return []
    # Driven from the few pending sales (the (tenant, status) index), not from the products' lines.
    reserved = dict(
        SaleItem.objects.filter(sale__tenant=tenant, sale__status=SaleStatus.PENDING)
        .order_by()
        .values("product_id")
        .annotate(q=Sum("quantity"))
        .values_list("product_id", "q")
    )
    today = today or tenant_today(tenant)
    window = Period(today - timedelta(days=constants.STOCK_SALES_WINDOW_DAYS - 1), today)
    sold = dict(
        DailyProductSales.objects.for_tenant(tenant)
        .filter(date__gte=window.start, date__lte=window.end, product_id__in=ids)
        .order_by()
        .values("product_id")
        .annotate(q=Sum(F("quantity") - F("refunded_quantity"), output_field=QuantityField()))
        .values_list("product_id", "q")
    )
    rows = []
    for product in products:
        on_hand = quantity(product.stock_quantity)
        held = quantity(reserved.get(product.pk) or ZERO_QTY)
        available = on_hand - held
        sold_qty = max(_decimal(sold.get(product.pk), quantity), ZERO_QTY)
        rows.append(
            StockRow(
                product=product,
                quantity_on_hand=on_hand,
                reserved_quantity=held,
                available_quantity=available,
                avg_daily_sales=quantity(sold_qty / window.days),
                days_of_stock=days_of_stock(available, sold_qty, window.days),
                is_low_stock=product.is_active and on_hand <= product.reorder_level,
            )
        )
    return rows


def stock_snapshot_date(*, tenant: Tenant, day: date | None = None) -> date | None:
    """The stored snapshot's date: `day` if one was taken that day, else (no `day`) the latest."""
    snapshots = StockSnapshot.objects.for_tenant(tenant)
    if day is not None:
        return day if snapshots.filter(date=day).exists() else None
    return snapshots.aggregate(latest=Max("date"))["latest"]


def stock_snapshot_list(*, tenant: Tenant, day: date) -> QuerySet[StockSnapshot]:
    """The rows of the tenant's snapshot of `day`, by product name."""
    return (
        StockSnapshot.objects.for_tenant(tenant)
        .filter(date=day)
        .select_related("product", "product__category")
        .order_by("product__name", "product_id")
    )
