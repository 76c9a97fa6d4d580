"""Analytics writes: the RFM segment stored on each customer and the dated stock snapshots. Neither
is written by a sale: scheduled jobs (`savdo refresh-rfm`, `savdo snapshot-stock`) run them."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from savdo.analytics import constants, selectors
from savdo.analytics.models import StockSnapshot
from savdo.customers.models import Customer
from savdo.sales.rollups import local_date
from savdo.tenancy.models import Tenant

UPDATE_CHUNK = 1000
SNAPSHOT_CHUNK = 500


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
