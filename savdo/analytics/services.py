"""Analytics writes: the stored RFM base, the RFM segment stored on each customer and the dated stock
snapshots. None is written by a sale: scheduled jobs (`savdo refresh-rfm`, `savdo snapshot-stock`)
run them."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.db.models.functions import TruncDate
from django.utils import timezone

from savdo.analytics import constants, selectors
from savdo.analytics.models import RFMBase, RFMBaseCustomer, RFMBaseDay, StockSnapshot
from savdo.core.dates import local_day_bounds
from savdo.customers.models import Customer
from savdo.sales.models import DailySales, Refund, Sale
from savdo.sales.rollups import COUNTED_SALE_STATUSES, local_date, tenant_zone
from savdo.tenancy.models import Tenant

UPDATE_CHUNK = 1000
SNAPSHOT_CHUNK = 500

logger = logging.getLogger("savdo.analytics")


def _counts_by_day(rows, moment: str, tenant: Tenant) -> dict[date, int]:
    """How many of these rows fall on each local day of the tenant (by the datetime field `moment`)."""
    by_day = rows.annotate(day=TruncDate(moment, tzinfo=tenant_zone(tenant))).values("day").annotate(n=Count("id"))
    return {row["day"]: row["n"] for row in by_day.order_by()}


def _analyze(model) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@transaction.atomic
def rfm_base_refresh(*, tenant: Tenant, now: datetime | None = None) -> RFMBase | None:
    """Store (replacing the previous one) the base of the tenant's default RFM period: each
    customer's completed sales over the period's closed days, i.e. the `DEFAULT_RFM_DAYS` local days
    up to yesterday, and the daily rollups' checkout and refund counts of every day from two days
    before the first up to today. `selectors` recompute live whoever these rows can no longer vouch
    for, so answers never depend on when this ran; it only makes them cheap (run it daily, after
    midnight). Returns the base (None when the default period has no closed day).

    Reads, each statement seeing what had committed when it started: the rollups, then the sales and
    refunds they count (a day where they disagree is stored without counts: never vouched for), then
    the per-customer sums. Whatever commits meanwhile therefore moves a rollup past what is stored.
    Preconditions: none (a concurrent refresh of the same tenant fails on the unique base and rolls
    back).
    """
    now = now or timezone.now()
    today = local_date(tenant, now)
    first = today - timedelta(days=constants.DEFAULT_RFM_DAYS - 1)
    last = today - timedelta(days=1)
    if last < first:
        return None
    days = [first - timedelta(days=2) + timedelta(days=n) for n in range((today - first).days + 3)]
    rollups = {
        row.date: row for row in DailySales.objects.for_tenant(tenant).filter(date__gte=days[0], date__lte=days[-1])
    }
    since, until = local_day_bounds(tenant, days[0], days[-1])
    sales = _counts_by_day(
        Sale.objects.filter(
            tenant=tenant, status__in=COUNTED_SALE_STATUSES, completed_at__gte=since, completed_at__lt=until
        ),
        "completed_at",
        tenant,
    )
    refunds = _counts_by_day(
        Refund.objects.filter(tenant=tenant, created_at__gte=since, created_at__lt=until), "created_at", tenant
    )

    tables = [connection.ops.quote_name(m._meta.db_table) for m in (RFMBaseCustomer, RFMBaseDay, RFMBase)]
    with connection.cursor() as cursor:
        for table in tables:  # raw: no per-row cascade collection for tens of thousands of rows
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
    starts_at, ends_at = local_day_bounds(tenant, first, last)
    base = RFMBase.objects.create(
        tenant=tenant,
        time_zone=tenant.time_zone,
        first_day=first,
        last_day=last,
        starts_at=starts_at,
        ends_at=ends_at,
        computed_at=now,
    )

    def agreed(rollup_count: int, counted: int) -> int | None:
        return rollup_count if rollup_count == counted else None

    day_rows = []
    for day in days:
        rollup = rollups.get(day)
        day_start, day_end = local_day_bounds(tenant, day, day)
        day_rows.append(
            RFMBaseDay(
                tenant=tenant,
                base=base,
                date=day,
                starts_at=day_start,
                ends_at=day_end,
                sales_count=agreed(rollup.sales_count if rollup else 0, sales.get(day, 0)),
                refunds_count=agreed(rollup.refunds_count if rollup else 0, refunds.get(day, 0)),
            )
        )
    RFMBaseDay.objects.bulk_create(day_rows)
    disagreeing = [row.date for row in day_rows if row.sales_count is None or row.refunds_count is None]
    if disagreeing:
        # Still exact, but those days' customers are recomputed on every RFM answer.
        logger.warning(
            "tenant %s: daily rollups disagree with the sales on %d days (first %s); run rebuild-rollups",
            tenant.pk,
            len(disagreeing),
            disagreeing[0],
        )

    sums, params = selectors.rfm_per_customer_sql(tenant=tenant, period=selectors.Period(first, last))
    # Positions and ranks by each value; RANK's frame as ROWS: PostgreSQL < 16 walks the default
    # RANGE frame to each row's last peer, quadratic with thousands of customers tied.
    to_here = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    places = ", ".join(
        f"ROW_NUMBER() OVER (ORDER BY {column}, customer_id), RANK() OVER (ORDER BY {column} {to_here})"
        for column in ("last_purchase", "frequency", "monetary")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {tables[0]} (tenant_id, base_id, customer_id, last_purchase, frequency, monetary_cents, "
            "r_pos, r_rank, f_pos, f_rank, m_pos, m_rank) "
            f"SELECT %(tenant)s, %(base)s, customer_id, last_purchase, frequency, monetary, {places} "
            f"FROM ({sums}) sums",
            {**params, "base": base.pk},
        )
        base.customers = cursor.rowcount
    base.save(update_fields=["customers"])
    if connection.vendor == "postgresql":
        # The rows are under a new base id the planner has no statistics for: it would guess one row
        # and walk an index over all of them, in random order, on every answer. After the commit, so
        # that its lock (one ANALYZE at a time per table) is not held for the whole transaction.
        transaction.on_commit(lambda: _analyze(RFMBaseCustomer), robust=True)
    return base


def rfm_bases_compact() -> None:
    """Vacuum (and analyze) the stored RFM bases' tables, whose rows a refresh replaces wholesale:
    without it the dead rows pile up until autovacuum comes by, and a scan reads them all. PostgreSQL
    only, and only outside a transaction (VACUUM cannot run in one); `savdo refresh-rfm` runs it once
    after all its tenants."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in (RFMBaseCustomer, RFMBaseDay, RFMBase):
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


@dataclass(frozen=True)
class RFMRefresh:
    """What `customer_rfm_refresh` did: customers per segment, rows it changed, segments it cleared."""

    segments: dict[str, int]
    changed: int
    cleared: int


@transaction.atomic
def customer_rfm_refresh(*, tenant: Tenant, period: selectors.Period | None = None) -> RFMRefresh:
    """Store each customer's RFM segment of the period (default: the last 365 days) in
    `Customer.rfm_segment`, so that other APIs show it without recomputing; customers who bought
    nothing in the period get an empty segment. Only rows whose segment changes are written (one
    UPDATE per segment and chunk of ids, one to clear the rest).

    Preconditions: none; it reads the sales as they are (a checkout committed meanwhile is picked up
    by the next run). The live `segments/` answer never depends on these stored values.
    """
    period = period or selectors.last_days(tenant, constants.DEFAULT_RFM_DAYS)
    by_segment: dict[str, list[int]] = defaultdict(list)
    for row in selectors.rfm_customers(tenant=tenant, period=period):
        by_segment[row.segment].append(row.customer_id)
    customers = Customer.objects.for_tenant(tenant)
    changed = 0
    for segment, ids in by_segment.items():
        for start in range(0, len(ids), UPDATE_CHUNK):
            chunk = ids[start : start + UPDATE_CHUNK]
            changed += customers.filter(pk__in=chunk).exclude(rfm_segment=segment).update(rfm_segment=segment)
    # NOT EXISTS (an anti-join on the customer's sales index), not NOT IN: PostgreSQL runs a NOT IN
    # subquery larger than work_mem once per customer.
    bought = selectors.rfm_sales(tenant=tenant, period=period).filter(customer_id=OuterRef("pk"))
    cleared = customers.exclude(rfm_segment="").filter(~Exists(bought)).update(rfm_segment="")
    return RFMRefresh(
        segments={segment: len(by_segment.get(segment, ())) for segment in constants.SEGMENTS},
        changed=changed,
        cleared=cleared,
    )


@transaction.atomic
def stock_snapshot_take(*, tenant: Tenant, now: datetime | None = None) -> int:
    """Store the tenant's stock as it is now under today's local date (replacing a snapshot already
    taken today): one row per product that `latest/` reports. Returns the number of rows.

    Schedule it near the end of the tenant's day: the snapshot is dated on the day it runs.
    """
    now = now or timezone.now()
    day = local_date(tenant, now)
    StockSnapshot.objects.filter(tenant=tenant, date=day).delete()
    products = list(selectors.stock_levels(tenant=tenant))
    written = 0
    for start in range(0, len(products), SNAPSHOT_CHUNK):
        rows = selectors.stock_rows(tenant=tenant, products=products[start : start + SNAPSHOT_CHUNK], today=day)
        StockSnapshot.objects.bulk_create(
            [
                StockSnapshot(
                    tenant=tenant,
                    date=day,
                    taken_at=now,
                    product=row.product,
                    quantity_on_hand=row.quantity_on_hand,
                    reserved_quantity=row.reserved_quantity,
                    available_quantity=row.available_quantity,
                    avg_daily_sales=row.avg_daily_sales,
                    days_of_stock=row.days_of_stock,
                    reorder_level=row.product.reorder_level,
                    is_low_stock=row.is_low_stock,
                )
                for row in rows
            ]
        )
        written += len(rows)
    return written
