"""What every analytics answer must be, recomputed in Python from the raw rows the sales made
(sales, their lines and payments, refunds and their lines, the stock ledger). Nothing here reads the
rollup tables or calls `savdo.analytics`: it is the independent side of the comparison.

Definitions (the contract, see `savdo.analytics.selectors`): a checkout counts on the local day of
its completion, a refund on the local day it was made; amounts are net of refunds.
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from savdo.analytics.constants import SEGMENTS, segment_for
from savdo.inventory.models import StockMovement
from savdo.sales.models import Payment, Refund, RefundItem, RefundPayment, Sale, SaleItem

ZERO = Decimal("0.00")


def m(value) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):.2f}"


def q(value) -> str:
    return f"{Decimal(value).quantize(Decimal('0.001'), rounding=ROUND_HALF_UP):.3f}"


def local_day(tenant, moment) -> date:
    return moment.astimezone(ZoneInfo(tenant.time_zone)).date()


def _checked_out(tenant, first: date, last: date) -> list[Sale]:
    return [
        s
        for s in Sale.objects.filter(tenant=tenant, status__in=["completed", "refunded"])
        if first <= local_day(tenant, s.completed_at) <= last
    ]


def _refunds(tenant, first: date, last: date) -> list[Refund]:
    return [r for r in Refund.objects.filter(tenant=tenant) if first <= local_day(tenant, r.created_at) <= last]


def day_numbers(tenant, first: date, last: date | None = None) -> dict:
    """Exact Decimal totals of local days first..last (one day without `last`)."""
    last = last or first
    sales = _checked_out(tenant, first, last)
    refunds = _refunds(tenant, first, last)
    items = list(SaleItem.objects.filter(sale__in=sales))
    refund_items = list(RefundItem.objects.filter(refund__in=refunds))
    gross = sum((s.total_amount for s in sales), ZERO)
    refunded = sum((r.amount for r in refunds), ZERO)
    net = gross - refunded
    cost = sum((i.cost_amount for i in items), ZERO) - sum((r.cost_amount for r in refund_items), ZERO)
    payments = dict.fromkeys(["cash", "card", "mobile", "transfer"], ZERO)
    for p in Payment.objects.filter(sale__in=sales):
        payments[p.payment_method] += p.amount
    for p in RefundPayment.objects.filter(refund__in=refunds):
        payments[p.payment_method] -= p.amount
    return {
        "net": net,
        "count": len(sales),
        "gross": gross,
        "refunded": refunded,
        "refunds_count": len(refunds),
        "discount": sum((i.discount_amount for i in items), ZERO)
        - sum((r.discount_amount for r in refund_items), ZERO),
        "tax": sum((i.tax_amount for i in items), ZERO) - sum((r.tax_amount for r in refund_items), ZERO),
        "items": sum((i.quantity for i in items), Decimal("0")) - sum((r.quantity for r in refund_items), Decimal("0")),
        "customers": len({s.customer_id for s in sales if s.customer_id}),
        "cost": cost,
        "payments": payments,
    }


def daily_report(tenant, day: date) -> dict:
    """The §4.1 daily report of `day` as the API renders it (without `id`)."""
    n = day_numbers(tenant, day)
    return {
        "date": day.isoformat(),
        "total_sales": m(n["net"]),
        "total_sales_count": n["count"],
        "avg_sale_amount": m(n["net"] / n["count"]) if n["count"] else "0.00",
        "total_discount": m(n["discount"]),
        "total_tax": m(n["tax"]),
        "total_items_sold": q(n["items"]),
        "unique_customers": n["customers"],
        "gross_sales": m(n["gross"]),
        "total_refunds": m(n["refunded"]),
        "refunds_count": n["refunds_count"],
        "total_cost": m(n["cost"]),
        "gross_profit": m(n["net"] - n["cost"]),
        "payments": {method: m(amount) for method, amount in n["payments"].items()},
    }


def period_totals(tenant, first: date, last: date) -> dict:
    n = day_numbers(tenant, first, last)
    return {
        "total_sales": m(n["net"]),
        "total_count": n["count"],
        "avg_sale": m(n["net"] / n["count"]) if n["count"] else "0.00",
        "gross_sales": m(n["gross"]),
        "total_refunds": m(n["refunded"]),
        "refunds_count": n["refunds_count"],
        "total_discount": m(n["discount"]),
        "total_tax": m(n["tax"]),
        "total_items_sold": q(n["items"]),
        "total_cost": m(n["cost"]),
        "gross_profit": m(n["net"] - n["cost"]),
    }


def product_numbers(tenant, first: date, last: date) -> dict[int, dict]:
    """Per product over the days: net revenue, net quantity, profit (net revenue - net cost), sales."""
    rows: dict[int, dict] = defaultdict(
        lambda: {"revenue": ZERO, "quantity": Decimal("0"), "cost": ZERO, "sales": set(), "sku": "", "name": ""}
    )
    for item in SaleItem.objects.filter(sale__in=_checked_out(tenant, first, last)).select_related("product"):
        row = rows[item.product_id]
        row["revenue"] += item.total_amount
        row["quantity"] += item.quantity
        row["cost"] += item.cost_amount
        row["sales"].add(item.sale_id)
        row["sku"], row["name"] = item.product.sku, item.product.name
    for back in RefundItem.objects.filter(refund__in=_refunds(tenant, first, last)).select_related(
        "sale_item__product"
    ):
        row = rows[back.sale_item.product_id]
        row["revenue"] -= back.amount
        row["quantity"] -= back.quantity
        row["cost"] -= back.cost_amount
        row["sku"], row["name"] = back.sale_item.product.sku, back.sale_item.product.name
    return rows


def top_products(tenant, first: date, last: date, order_by: str, limit: int) -> list[dict]:
    rows = product_numbers(tenant, first, last)
    rendered = [
        {
            "product_id": pid,
            "product_name": row["name"],
            "product_code": row["sku"],
            "total_revenue": m(row["revenue"]),
            "total_quantity": q(row["quantity"]),
            "total_profit": m(row["revenue"] - row["cost"]),
            "sales_count": len(row["sales"]),
        }
        for pid, row in rows.items()
    ]
    key = {"revenue": "total_revenue", "quantity": "total_quantity", "profit": "total_profit"}[order_by]
    rendered.sort(key=lambda r: (-Decimal(r[key]), r["product_name"], r["product_id"]))
    return rendered[:limit]


# --- RFM ------------------------------------------------------------------------------------------


def _quintile(values: dict[int, object]) -> dict[int, int]:
    """Score 1..5 by rank (equal values share the lowest rank): (rank - 1) * 5 // n + 1."""
    n = len(values)
    return {key: sum(1 for other in values.values() if other < v) * 5 // n + 1 for key, v in values.items()}


def rfm(tenant, first: date, last: date) -> dict[int, dict]:
    """Per customer who completed a sale in the period: R, F, M values, scores and segment."""
    per: dict[int, dict] = {}
    for sale in Sale.objects.filter(tenant=tenant, status="completed", customer__isnull=False):
        if not first <= local_day(tenant, sale.completed_at) <= last:
            continue
        row = per.setdefault(sale.customer_id, {"last": sale.completed_at, "count": 0, "spent": ZERO})
        row["last"] = max(row["last"], sale.completed_at)
        row["count"] += 1
        row["spent"] += sale.total_amount - sale.refunded_amount
    r = _quintile({cid: row["last"] for cid, row in per.items()})
    f = _quintile({cid: row["count"] for cid, row in per.items()})
    mon = _quintile({cid: row["spent"] for cid, row in per.items()})
    for cid, row in per.items():
        row.update(r=r[cid], f=f[cid], m=mon[cid], segment=segment_for(r[cid], f[cid], mon[cid]))
    return per


def assert_rfm_rows(got: dict, expected: dict) -> None:
    """Each customer's `CustomerRFM` (by id) carries the values and scores `rfm()` recomputed."""
    assert set(got) == set(expected)
    for cid, row in got.items():
        want = expected[cid]
        assert (row.last_purchase, row.frequency, row.monetary) == (want["last"], want["count"], want["spent"]), cid
        scores = (row.recency_score, row.frequency_score, row.monetary_score, row.segment)
        assert scores == (want["r"], want["f"], want["m"], want["segment"]), cid


def segments(tenant, first: date, last: date) -> list[dict]:
    per = rfm(tenant, first, last)
    out = []
    for segment in SEGMENTS:
        members = [row for row in per.values() if row["segment"] == segment]
        spent = sum((row["spent"] for row in members), ZERO)
        purchases = sum(row["count"] for row in members)
        out.append(
            {
                "segment": segment,
                "count": len(members),
                "total_spent": m(spent),
                "avg_purchase": m(spent / purchases) if purchases else "0.00",
                "purchases_count": purchases,
            }
        )
    return out


# --- stock ------------------------------------------------------------------------------------------


def stock(tenant, product, today: date) -> dict:
    """A product's stock line numbers from the ledger and the pending sales."""
    on_hand = sum((mv.quantity for mv in StockMovement.objects.filter(tenant=tenant, product=product)), Decimal("0"))
    reserved = sum(
        (i.quantity for i in SaleItem.objects.filter(tenant=tenant, product=product, sale__status="pending")),
        Decimal("0"),
    )
    first = today - timedelta(days=29)
    sold = product_numbers(tenant, first, today).get(product.pk, {"quantity": Decimal("0")})["quantity"]
    sold = max(sold, Decimal("0"))
    available = on_hand - reserved
    if available <= 0:
        days = 0.0
    elif sold <= 0:
        days = None
    else:
        days = float((available * 30 / sold).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return {
        "quantity_on_hand": q(on_hand),
        "reserved_quantity": q(reserved),
        "available_quantity": q(available),
        "avg_daily_sales": q(sold / 30),
        "days_of_stock": days,
        "is_low_stock": product.is_active and on_hand <= product.reorder_level,
    }
