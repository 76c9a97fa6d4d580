"""Analytics reads (document 001 §4). Everything is computed at request time, so a sale rung up a
second ago is in every number; nothing here writes.

Where the numbers come from:
- daily reports, period, trends: `DailySales` rows (one per tenant and local day, kept by the sales
  services in the checkout/refund transaction). Their cost grows with the days asked for, never
  with the number of sales.
- top products, slow movers, `days_of_stock`: `DailyProductSales` rows (one per product and day).
- RFM: one GROUP BY over the tenant's completed sales of the period, scored with window functions
  in the same SQL statement (see `rfm_scored_sql` for why this is not a rollup).
- stock: the ledger's balances (`StockBalance`) and the pending sales' lines, read now.

Net versus gross: every amount is net of refunds. A day's `total_sales` is what its checkouts took
minus what was refunded that day (a refund counts on the day it is made, like the till's cash);
`gross_sales` and `total_refunds` show both parts. Discount, tax, cost, items and the per-method
amounts are net the same way; `avg_sale_amount = total_sales / total_sales_count`. A product's
revenue and quantity are net of its refunds, its profit is net revenue minus the cost of the goods
at the moment of sale (minus the cost of what came back). RFM's monetary value is what each sale
kept after its refunds.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import (
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    RowRange,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Rank, Round
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from savdo.analytics import constants
from savdo.analytics.models import StockSnapshot
from savdo.catalog.models import Product
from savdo.core.money import ZERO, ZERO_QTY, MoneyField, QuantityField, money, quantity
from savdo.customers.models import Customer
from savdo.inventory import selectors as inventory_selectors
from savdo.sales.choices import PaymentMethod, SaleStatus
from savdo.sales.models import DailyProductSales, DailySales, Sale, SaleItem
from savdo.sales.rollups import local_date, local_day_bounds
from savdo.tenancy.models import Tenant

TENTH = Decimal("0.1")


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
    """The period asked for; a missing end is today, a missing start `default_days` before the end."""
    end = end or tenant_today(tenant)
    start = start or end - timedelta(days=default_days - 1)
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


def _segment_case() -> tuple[str, list]:
    """`CASE ... END` giving the segment of columns `r` and `fm` by `constants.SEGMENT_GRID`."""
    cells: dict[str, list[tuple[int, int]]] = {}
    for r, row in constants.SEGMENT_GRID.items():
        for fm, segment in enumerate(row, start=1):
            cells.setdefault(segment, []).append((r, fm))
    whens, params = [], []
    for segment, pairs in cells.items():
        condition = " OR ".join(f"(r = {int(r)} AND fm = {int(fm)})" for r, fm in pairs)
        whens.append(f"WHEN {condition} THEN %s")
        params.append(segment)
    return "CASE " + " ".join(whens) + " END", params


# RANK() ignores the frame, but PostgreSQL < 16 still walks the default RANGE frame to each row's last
# peer: with thousands of customers tied (one purchase each) that is quadratic. A ROWS frame is not.
ROWS_TO_HERE = RowRange(start=None, end=0)


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


def rfm_scored_sql(*, tenant: Tenant, period: Period) -> tuple[str, list]:
    """SQL (with params) of one row per customer who completed a sale in the period: `customer_id,
    last_purchase, frequency, monetary, r, f, m, fm, segment`.

    - frequency: completed sales in the period; monetary: what they kept after refunds (a sale
      refunded in full is no longer `completed` and does not count); recency: the last one.
    - scores 1..5 are quintiles of the tenant's customers by rank: `(rank - 1) * 5 / customers + 1`,
      rank ascending (so the most recent, most frequent, biggest spender gets 5). Equal values share
      a score (NTILE would split them by row order, making a customer's segment depend on their id).
    - segment: `constants.SEGMENT_GRID` on R and FM = (F + M) / 2 rounded half up.

    Why not a rollup: RFM needs each customer's last purchase, count and amount over a sliding
    period; a per-customer rollup would hold about one row per purchase (few customers buy twice a
    day), so it would cost what reading the sales costs. This is one GROUP BY over the period's
    completed sales on the (tenant, completed_at) index, scored by window functions in the same
    statement (PostgreSQL and SQLite >= 3.25 both have them).
    """
    per_customer = (
        rfm_sales(tenant=tenant, period=period)
        .order_by()
        .values("customer_id")
        .annotate(
            last_purchase=Max("completed_at"),
            frequency=Count("id"),
            monetary=Sum(F("total_amount") - F("refunded_amount"), output_field=MoneyField()),
        )
        .annotate(
            r_rank=Window(Rank(), order_by=F("last_purchase").asc(), frame=ROWS_TO_HERE),
            f_rank=Window(Rank(), order_by=F("frequency").asc(), frame=ROWS_TO_HERE),
            # Rounded so that equal amounts compare equal even as SQLite floats.
            m_rank=Window(Rank(), order_by=Round(F("monetary"), 2).asc(), frame=ROWS_TO_HERE),
            customers=Window(Count("*")),
        )
    )
    inner_sql, inner_params = per_customer.query.get_compiler(using=per_customer.db).as_sql()
    case_sql, case_params = _segment_case()
    sql = (
        "SELECT customer_id, last_purchase, frequency, monetary, r, f, m, fm, "
        f"{case_sql} AS segment FROM ("
        "SELECT customer_id, last_purchase, frequency, monetary, r, f, m, (f + m + 1) / 2 AS fm FROM ("
        "SELECT customer_id, last_purchase, frequency, monetary, "
        "(r_rank - 1) * 5 / customers + 1 AS r, "
        "(f_rank - 1) * 5 / customers + 1 AS f, "
        "(m_rank - 1) * 5 / customers + 1 AS m "
        f"FROM ({inner_sql}) rfm_customers) rfm_scores) rfm_fm"
    )
    return sql, [*case_params, *inner_params]


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


def rfm_segments(*, tenant: Tenant, period: Period) -> list[SegmentSummary]:
    """001 §4.3 "Сегменты клиентов": every segment (001's order, empty ones as zeros) with its
    customers, their spend and purchases in the period. One SQL statement."""
    scored, params = rfm_scored_sql(tenant=tenant, period=period)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT segment, COUNT(*), SUM(monetary), SUM(frequency) FROM ({scored}) rfm GROUP BY segment", params
        )
        found = {
            segment: SegmentSummary(segment, int(n), _decimal(spent), int(purchases))
            for segment, n, spent, purchases in cursor.fetchall()
        }
    return [found.get(segment, SegmentSummary(segment)) for segment in constants.SEGMENTS]


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


def _customer_rfm(row) -> CustomerRFM:
    customer_id, last_purchase, frequency, monetary, r, f, m, _fm, segment = row
    return CustomerRFM(
        customer_id=int(customer_id),
        last_purchase=_as_datetime(last_purchase),
        frequency=int(frequency),
        monetary=_decimal(monetary),
        recency_score=int(r),
        frequency_score=int(f),
        monetary_score=int(m),
        segment=segment,
    )


def rfm_customers(*, tenant: Tenant, period: Period) -> list[CustomerRFM]:
    """Every scored customer of the period (for storing segments on customers). One statement."""
    scored, params = rfm_scored_sql(tenant=tenant, period=period)
    with connection.cursor() as cursor:
        cursor.execute(scored, params)
        return [_customer_rfm(row) for row in cursor.fetchall()]


@dataclass(frozen=True)
class AtRiskPage:
    customers: list[CustomerRFM]
    total: int  # at-risk customers in all pages (0 when the page is past the end)


def rfm_at_risk(
    *, tenant: Tenant, period: Period, offset: int = 0, limit: int = 20, segments=constants.AT_RISK_SEGMENTS
) -> AtRiskPage:
    """001 §4.3 "Клиенты в группе риска": the customers in At Risk, Can't Lose Them, Hibernating and
    Lost, biggest spenders first (then the longest gone), `limit` of them from `offset`, with how many
    there are in all. Two queries: one statement (the page and, by a window, the total) and the
    page's customers."""
    scored, params = rfm_scored_sql(tenant=tenant, period=period)
    marks = ", ".join(["%s"] * len(segments))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT *, COUNT(*) OVER () FROM ({scored}) rfm WHERE segment IN ({marks}) "
            "ORDER BY monetary DESC, last_purchase ASC, customer_id ASC LIMIT %s OFFSET %s",
            [*params, *segments, limit, offset],
        )
        fetched = cursor.fetchall()
    total = int(fetched[0][-1]) if fetched else 0
    rows = [_customer_rfm(row[:-1]) for row in fetched]
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
    return AtRiskPage(customers=page, total=total)


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
