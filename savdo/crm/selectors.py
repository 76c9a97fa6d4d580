"""CRM reads: deal and activity lists, the dashboard and the sales analytics (document 003).

Every figure is an aggregate the database computes (one GROUP BY per figure), never a loop over
deals in Python, so a read costs the same number of queries whatever the number of deals. Nothing is
precomputed either: a deal completed a second ago is in every figure.

Time: a completed deal counts as a sale at its `closed_at`, on that moment's local date in the
store's time zone; months, ISO weeks and years are the store's local ones (the database truncates
`closed_at` in the store's zone, on PostgreSQL and SQLite alike).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek, TruncYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from savdo.core.dates import days_before, local_day_bounds
from savdo.core.money import ZERO, money
from savdo.crm.choices import OPEN_STATUSES, DealStatus, SalesPeriod
from savdo.crm.models import Activity, Deal
from savdo.customers.models import Customer, CustomerStatus
from savdo.tenancy.models import Tenant

# The customer fields a deal or activity shows its customer's name and company from.
CUSTOMER_NAME_FIELDS = ("display_name", "customer_type", "company_name", "first_name", "last_name", "middle_name")
# Document 003's customer statuses (the dashboard's `customersByStatus` keys).
CRM_CUSTOMER_STATUSES = (CustomerStatus.ACTIVE, CustomerStatus.POTENTIAL, CustomerStatus.WAITING)
TREND_MONTHS = 12
TOP_CUSTOMERS = 10
# More buckets than this in one answer is a 400 (ten years of weeks, three of days, ...).
MAX_BUCKETS = 1100
HUNDRED = Decimal(100)

TRUNCATE = {
    SalesPeriod.DAILY: TruncDay,
    SalesPeriod.WEEKLY: TruncWeek,
    SalesPeriod.MONTHLY: TruncMonth,
    SalesPeriod.YEARLY: TruncYear,
}


def store_zone(tenant: Tenant) -> ZoneInfo:
    """The store's time zone (a mistyped zone falls back to the server's, as requests do)."""
    try:
        return ZoneInfo(tenant.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def store_today(tenant: Tenant) -> date:
    return timezone.localtime(timezone.now(), store_zone(tenant)).date()


# --- lists -----------------------------------------------------------------------------------------


def _with_customer_name(queryset: QuerySet) -> QuerySet:
    """The rows (all their own columns) with their customer joined, reading only the customer's name
    columns (not the fifty others)."""
    own = [field.attname for field in queryset.model._meta.concrete_fields]
    return queryset.select_related("customer").only(
        *own, "customer__id", *(f"customer__{name}" for name in CUSTOMER_NAME_FIELDS)
    )


def deal_list(*, tenant: Tenant) -> QuerySet[Deal]:
    """The store's deals with their customer's name and company, newest first."""
    return _with_customer_name(Deal.objects.for_tenant(tenant)).order_by("-created_at", "-id")


def activity_list(*, tenant: Tenant) -> QuerySet[Activity]:
    """The store's activities with their customer's name, newest first."""
    return _with_customer_name(Activity.objects.for_tenant(tenant)).order_by("-created_at", "-id")


def deal_status_history(*, deal: Deal) -> QuerySet:
    """A deal's status moves, oldest first, with who made them."""
    return deal.status_changes.select_related("changed_by").order_by("changed_at", "id")


# --- periods ---------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def bucket_start(day: date, period: str) -> date:
    """The first day of the bucket (day, ISO week, month, year) `day` falls in."""
    if period == SalesPeriod.WEEKLY:
        return day - timedelta(days=day.weekday())
    if period == SalesPeriod.MONTHLY:
        return month_start(day)
    if period == SalesPeriod.YEARLY:
        return day.replace(month=1, day=1)
    return day


def next_bucket(start: date, period: str) -> date:
    if period == SalesPeriod.WEEKLY:
        return start + timedelta(days=7)
    if period == SalesPeriod.MONTHLY:
        return add_months(start, 1)
    if period == SalesPeriod.YEARLY:
        return date(start.year + 1, 1, 1)
    return start + timedelta(days=1)


def bucket_count(start: date, end: date, period: str) -> int:
    """How many buckets local days `start`..`end` span (computed, not enumerated)."""
    first, last = bucket_start(start, period), bucket_start(end, period)
    if period == SalesPeriod.WEEKLY:
        return (last - first).days // 7 + 1
    if period == SalesPeriod.MONTHLY:
        return (last.year - first.year) * 12 + last.month - first.month + 1
    if period == SalesPeriod.YEARLY:
        return last.year - first.year + 1
    return (last - first).days + 1


def buckets(start: date, end: date, period: str) -> Iterator[date]:
    """The first day of every bucket local days `start`..`end` touch, oldest first."""
    current = bucket_start(start, period)
    while current <= end:
        yield current
        current = next_bucket(current, period)


def bucket_label(start: date, period: str) -> str:
    """`2025-03-14` (daily), `2025-W11` (ISO week), `2025-03` (monthly), `2025` (yearly)."""
    if period == SalesPeriod.WEEKLY:
        year, week, _weekday = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == SalesPeriod.MONTHLY:
        return f"{start.year:04d}-{start.month:02d}"
    if period == SalesPeriod.YEARLY:
        return f"{start.year:04d}"
    return start.isoformat()


def _local_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def completed_deals(*, tenant: Tenant, start: date, end: date) -> QuerySet[Deal]:
    """The store's deals completed on local days `start`..`end` (inclusive)."""
    since, until = local_day_bounds(store_zone(tenant), start, end)
    return Deal.objects.for_tenant(tenant).filter(
        status=DealStatus.COMPLETED, closed_at__gte=since, closed_at__lt=until
    )


def _sales_by_bucket(*, tenant: Tenant, start: date, end: date, period: str) -> dict[date, tuple[Decimal, int]]:
    """{bucket's first day: (value, deals)} of the completed deals, one GROUP BY in the database."""
    truncate = TRUNCATE[period]("closed_at", tzinfo=store_zone(tenant))
    rows = (
        completed_deals(tenant=tenant, start=start, end=end)
        .annotate(bucket=truncate)
        .order_by()
        .values("bucket")
        .annotate(sales=Sum("value"), deals=Count("id"))
        .values_list("bucket", "sales", "deals")
    )
    return {_local_date(bucket): (money(sales or ZERO), deals) for bucket, sales, deals in rows}


# --- the dashboard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    total_customers: int
    customers_by_status: dict[str, int]
    monthly_sales: Decimal
    active_deals: int
    conversion_rate: Decimal
    # (first day of the month, completed deals' value), oldest first, the current month last.
    sales_trend: list[tuple[date, Decimal]]


def conversion_rate(completed: int, cancelled: int) -> Decimal:
    """Completed deals as a percentage of closed (completed + cancelled) deals, two decimals; 0
    without closed deals."""
    closed = completed + cancelled
    if not closed:
        return Decimal("0.00")
    return money(Decimal(completed) * HUNDRED / closed)


def crm_dashboard(*, tenant: Tenant, today: date | None = None) -> Dashboard:
    """003's dashboard in three GROUP BY queries (customers by status, deals by status, completed
    deals' value by month).

    - total customers: all the store's customers, whatever their status; `customers_by_status`
      counts the three statuses of document 003;
    - active deals: new and in progress;
    - conversion rate: completed ÷ (completed + cancelled) × 100 over all the store's deals;
    - sales trend: the last 12 calendar months (local), the current one last, months without sales
      as 0; `monthly_sales` is the current month's figure.
    """
    today = today or store_today(tenant)
    by_customer_status = dict(
        Customer.objects.for_tenant(tenant)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    by_deal_status = dict(
        Deal.objects.for_tenant(tenant).order_by().values("status").annotate(n=Count("id")).values_list("status", "n")
    )
    first_month = add_months(today, -(TREND_MONTHS - 1))
    last_day = add_months(today, 1) - timedelta(days=1)
    by_month = _sales_by_bucket(tenant=tenant, start=first_month, end=last_day, period=SalesPeriod.MONTHLY)
    trend = [(month, by_month.get(month, (ZERO, 0))[0]) for month in buckets(first_month, today, SalesPeriod.MONTHLY)]
    return Dashboard(
        total_customers=sum(by_customer_status.values()),
        customers_by_status={status: by_customer_status.get(status, 0) for status in CRM_CUSTOMER_STATUSES},
        monthly_sales=trend[-1][1],
        active_deals=sum(by_deal_status.get(status, 0) for status in OPEN_STATUSES),
        conversion_rate=conversion_rate(
            by_deal_status.get(DealStatus.COMPLETED, 0), by_deal_status.get(DealStatus.CANCELLED, 0)
        ),
        sales_trend=trend,
    )


# --- sales analytics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SalesBucket:
    start: date
    label: str
    sales: Decimal
    deals: int


@dataclass(frozen=True)
class TopCustomer:
    customer_id: int
    name: str
    total_value: Decimal


@dataclass(frozen=True)
class SalesReport:
    start: date
    end: date
    period: str
    total_sales: Decimal
    by_period: list[SalesBucket]
    top_customers: list[TopCustomer]


def _top_customers(*, tenant: Tenant, start: date, end: date) -> list[TopCustomer]:
    """The customers with the most completed value in the range: one GROUP BY customer over the
    deals alone (largest first, ties by id), then the names of those ten."""
    top = list(
        completed_deals(tenant=tenant, start=start, end=end)
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("value"))
        .order_by("-total", "customer_id")
        .values_list("customer_id", "total")[:TOP_CUSTOMERS]
    )
    if not top:
        return []
    names = {
        customer.pk: customer.full_name
        for customer in Customer.objects.for_tenant(tenant)
        .filter(pk__in=[customer_id for customer_id, _total in top])
        .only("id", *CUSTOMER_NAME_FIELDS)
    }
    return [
        TopCustomer(customer_id=customer_id, name=names.get(customer_id, ""), total_value=money(total or ZERO))
        for customer_id, total in top
    ]


def default_sales_range(
    *, tenant: Tenant, start: date | None, end: date | None, period: str, today: date | None = None
) -> tuple[date, date]:
    """The days a sales report covers when the client leaves out a date: the end is today (or the
    start, if that is later); the start is the first day of the 30 days, 12 ISO weeks, 12 months or
    5 years that end with the end."""
    today = today or store_today(tenant)
    if end is None:
        end = max(today, start) if start is not None else today
    if start is None:
        if period == SalesPeriod.WEEKLY:
            start = days_before(bucket_start(end, period), 7 * 11)
        elif period == SalesPeriod.MONTHLY:
            start = add_months(end, -11)
        elif period == SalesPeriod.YEARLY:
            start = date(max(end.year - 4, 1), 1, 1)
        else:
            start = days_before(end, 29)
    return start, end


def crm_sales(
    *,
    tenant: Tenant,
    start: date | None = None,
    end: date | None = None,
    period: str = SalesPeriod.MONTHLY,
    today: date | None = None,
) -> SalesReport:
    """003's sales analytics over local days `start`..`end` (inclusive; defaults: `default_sales_range`)
    in two GROUP BY queries and one small read: completed deals' value and count per bucket (every
    bucket of the range present, zeros included; the first and last bucket hold only the range's
    days), and the customers with the most completed value (top 10, ties by id) with their names.

    Raises ValidationError for an unknown period, an end before the start, or a range of more than
    `MAX_BUCKETS` buckets.
    """
    if period not in SalesPeriod.values:
        raise ValidationError({"period": [_("Unknown period.")]})
    start, end = default_sales_range(tenant=tenant, start=start, end=end, period=period, today=today)
    if end < start:
        raise ValidationError({"endDate": [_("The end date cannot be before the start date.")]})
    if bucket_count(start, end, period) > MAX_BUCKETS:
        message = _("The range holds too many periods (at most %(max)d): choose a longer period or a shorter range.")
        raise ValidationError({"period": [message % {"max": MAX_BUCKETS}]})
    by_bucket = _sales_by_bucket(tenant=tenant, start=start, end=end, period=period)
    rows = []
    for first in buckets(start, end, period):
        sales, deals = by_bucket.get(first, (ZERO, 0))
        rows.append(SalesBucket(first, bucket_label(first, period), sales, deals))
    top_customers = _top_customers(tenant=tenant, start=start, end=end)
    return SalesReport(
        start=start,
        end=end,
        period=period,
        total_sales=sum((row.sales for row in rows), ZERO),
        by_period=rows,
        top_customers=top_customers,
    )
