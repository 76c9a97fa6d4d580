"""Document 001 §4 (Analytics): every request it shows, with the response Savdo gives, on the demo
shop of `tests.analytics.shop` (a year of sales, refunds, a cancelled and a pending sale; another
shop selling the same SKUs on the same days). Every number is recomputed by
`tests.analytics.recompute` from the raw sales, refunds and stock ledger, never from the rollups.

Decisions the document leaves open (see `savdo.analytics.selectors`): amounts are net of refunds
(`gross_sales`/`total_refunds` show both parts), a refund counts on the day it is made; answers carry
the documented keys plus a few more.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from savdo.analytics.constants import SEGMENTS
from savdo.sales.models import Refund, Sale
from savdo.tenancy.models import Role
from tests.analytics import recompute
from tests.analytics.shop import NOON, build_other_shop, build_shop, clock  # noqa: F401  (fixture)
from tests.conftest import Member

TODAY = NOON.date()
# 001 "Отчёт за сегодня"
TODAY_KEYS = {
    "id",
    "date",
    "total_sales",
    "total_sales_count",
    "avg_sale_amount",
    "total_discount",
    "total_tax",
    "total_items_sold",
    "unique_customers",
}
REPORT_EXTRA_KEYS = {"gross_sales", "total_refunds", "refunds_count", "total_cost", "gross_profit", "payments"}
TOP_PRODUCT_KEYS = {
    "product_id",
    "product_name",
    "product_code",
    "total_revenue",
    "total_quantity",
    "total_profit",
    "sales_count",
}
SEGMENT_KEYS = {"segment", "count", "total_spent", "avg_purchase"}
STOCK_KEYS = {
    "id",
    "product",
    "quantity_on_hand",
    "reserved_quantity",
    "available_quantity",
    "days_of_stock",
    "is_low_stock",
}


@pytest.fixture
def demo(tenant, other_tenant, clock):  # noqa: F811
    shop = build_shop(tenant, clock)
    build_other_shop(other_tenant, clock)  # the same SKUs and days in another tenant: must never show
    return shop


@pytest.fixture
def api(demo, tenant):
    """A manager's client (analytics need a manager or above)."""
    return Member(tenant, Role.MANAGER).client


def _get(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.content[:500])
    return response.json()


# --- 4.1 -----------------------------------------------------------------------------------------


def test_today(api, tenant, demo):
    body = _get(api, "/api/analytics/daily-sales/today/")
    assert set(body) == TODAY_KEYS | REPORT_EXTRA_KEYS
    assert isinstance(body["id"], int)
    assert {k: v for k, v in body.items() if k != "id"} == recompute.daily_report(tenant, TODAY)
    # Known by hand: today c0's 00:30 sale (2 kg cheese + 4 bread, 5 % off) and a walk-in's sale
    # (1 milk + 5 bread), minus two refunds made today.
    cheese_and_bread = (Decimal("2") * 85000 + 4 * 9000) * Decimal("0.95")  # 195700.00
    walk_in = Decimal(12000 + 5 * 9000)  # 57000
    refunds = Decimal("0.5") * 85000 * Decimal("0.95") + 9000  # 40375.00 + 9000 (c1's bread of two days ago)
    assert body["gross_sales"] == f"{cheese_and_bread + walk_in:.2f}" == "252700.00"
    assert body["total_refunds"] == f"{refunds:.2f}" == "49375.00"
    assert body["total_sales"] == "203325.00"
    assert body["total_sales_count"] == 2
    assert body["avg_sale_amount"] == "101662.50"
    assert body["unique_customers"] == 1


def test_today_without_sales_is_zeros(tenant, clock):  # noqa: F811
    build_shop(tenant, clock, rich=False)
    body = _get(Member(tenant, Role.MANAGER).client, "/api/analytics/daily-sales/today/")
    assert body == {
        "id": None,
        "date": "2025-01-17",
        "total_sales": "0.00",
        "total_sales_count": 0,
        "avg_sale_amount": "0.00",
        "total_discount": "0.00",
        "total_tax": "0.00",
        "total_items_sold": "0.000",
        "unique_customers": 0,
        "gross_sales": "0.00",
        "total_refunds": "0.00",
        "refunds_count": 0,
        "total_cost": "0.00",
        "gross_profit": "0.00",
        "payments": {"cash": "0.00", "card": "0.00", "mobile": "0.00", "transfer": "0.00"},
    }


def test_daily_sales_list(api, tenant, demo):
    body = _get(api, "/api/analytics/daily-sales/?start_date=2024-12-01&end_date=2025-01-17&page_size=100")
    assert set(body) == {"count", "next", "previous", "results"}
    active_days = sorted(
        {
            recompute.local_day(tenant, s.completed_at)
            for s in Sale.objects.filter(tenant=tenant, completed_at__isnull=False)
        }
        | {recompute.local_day(tenant, r.created_at) for r in Refund.objects.filter(tenant=tenant)},
        reverse=True,
    )
    expected_days = [d for d in active_days if date(2024, 12, 1) <= d <= TODAY]
    assert [row["date"] for row in body["results"]] == [d.isoformat() for d in expected_days]
    assert body["count"] == len(expected_days)
    for row in body["results"]:
        assert {k: v for k, v in row.items() if k != "id"} == recompute.daily_report(
            tenant, date.fromisoformat(row["date"])
        )


def test_period(api, tenant, demo):
    body = _get(api, "/api/analytics/daily-sales/period/?start_date=2024-12-18&end_date=2025-01-17")
    assert set(body) == {"period", "totals", "daily_reports"}
    assert body["period"] == {"start_date": "2024-12-18", "end_date": "2025-01-17", "days": 31}
    assert {"total_sales", "total_count", "avg_sale"} <= set(body["totals"])
    assert body["totals"] == recompute.period_totals(tenant, date(2024, 12, 18), TODAY)
    assert len(body["daily_reports"]) == 31
    for offset, row in enumerate(body["daily_reports"]):
        day = date(2024, 12, 18) + timedelta(days=offset)
        assert {k: v for k, v in row.items() if k != "id"} == recompute.daily_report(tenant, day)
    # The totals are the sum of the days.
    assert Decimal(body["totals"]["total_sales"]) == sum(Decimal(r["total_sales"]) for r in body["daily_reports"])


def test_period_over_a_year(api, tenant, demo):
    body = _get(api, "/api/analytics/daily-sales/period/?start_date=2024-01-18&end_date=2025-01-17")
    assert body["period"]["days"] == 366
    assert body["totals"] == recompute.period_totals(tenant, date(2024, 1, 18), TODAY)


def test_trends(api, tenant, demo):
    body = _get(api, "/api/analytics/daily-sales/trends/?days=10")
    assert body["period"] == {"start_date": "2025-01-08", "end_date": "2025-01-17", "days": 10}
    assert [p["date"] for p in body["trends"]] == [
        (date(2025, 1, 8) + timedelta(days=i)).isoformat() for i in range(10)
    ]
    for point in body["trends"]:
        expected = recompute.daily_report(tenant, date.fromisoformat(point["date"]))
        assert point == {k: expected[k] for k in point}
    zero_day = next(p for p in body["trends"] if p["date"] == "2025-01-10")  # no sales that day
    assert zero_day["total_sales"] == "0.00" and zero_day["total_sales_count"] == 0


# --- 4.2 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("order_by", ["revenue", "quantity", "profit"])
def test_top_products(api, tenant, demo, order_by):
    body = _get(api, f"/api/analytics/product-performance/top-products/?limit=10&order_by={order_by}")
    # Default period: the last 30 days up to today.
    assert body["period"] == {"start_date": "2024-12-19", "end_date": "2025-01-17", "days": 30}
    assert body["top_products"] == recompute.top_products(tenant, date(2024, 12, 19), TODAY, order_by, 10)
    assert all(set(row) == TOP_PRODUCT_KEYS for row in body["top_products"])


def test_top_products_period_and_limit(api, tenant, demo):
    body = _get(
        api, "/api/analytics/product-performance/top-products/?start_date=2024-01-01&end_date=2025-01-17&limit=2"
    )
    assert body["period"] == {"start_date": "2024-01-01", "end_date": "2025-01-17", "days": 383}
    assert body["top_products"] == recompute.top_products(tenant, date(2024, 1, 1), TODAY, "revenue", 2)
    cheese = body["top_products"][0]
    assert cheese["product_code"] == "CHEESE"
    # Profit is net revenue minus the cost at the moment of sale (cheese always cost 60000/kg).
    assert Decimal(cheese["total_profit"]) == Decimal(cheese["total_revenue"]) - 60000 * Decimal(
        cheese["total_quantity"]
    )


def test_top_products_profit_uses_the_cost_at_the_moment_of_sale(api, tenant, demo):
    body = _get(api, "/api/analytics/product-performance/top-products/?order_by=quantity&limit=10")
    bread = next(row for row in body["top_products"] if row["product_code"] == "BREAD")
    # Bread came in a batch bought at 4500 (its product cost says 5000).
    assert Decimal(bread["total_profit"]) == Decimal(bread["total_revenue"]) - 4500 * Decimal(bread["total_quantity"])
    milk = next(row for row in body["top_products"] if row["product_code"] == "MILK")
    # Milk's cost was raised to 11000 after the sales: they keep the 9000 they were sold at.
    assert Decimal(milk["total_profit"]) == Decimal(milk["total_revenue"]) - 9000 * Decimal(milk["total_quantity"])


def test_slow_movers(api, tenant, demo):
    body = _get(api, "/api/analytics/product-performance/slow-movers/?days=30")
    assert body["period"] == {"start_date": "2024-12-19", "end_date": "2025-01-17", "days": 30}
    codes = [row["product_code"] for row in body["products"]]
    # In stock and active only (salt has none, "old" is inactive); unsold first, the fuller first.
    assert codes[:2] == ["JUICE", "SOAP"]
    assert set(codes) == {"JUICE", "SOAP", "MILK", "BREAD", "CHEESE"}
    numbers = recompute.product_numbers(tenant, date(2024, 12, 19), TODAY)
    sold = [Decimal(row["total_quantity"]) for row in body["products"]]
    assert sold == sorted(sold)
    for row in body["products"]:
        expected = numbers.get(row["product_id"])
        assert row["total_quantity"] == recompute.q(expected["quantity"] if expected else 0)
        assert row["total_revenue"] == recompute.m(expected["revenue"] if expected else 0)
        assert row["sales_count"] == (len(expected["sales"]) if expected else 0)
        assert (
            row["quantity_on_hand"]
            == recompute.stock(tenant, demo.products[row["product_code"].lower()], TODAY)["quantity_on_hand"]
        )
    juice = body["products"][0]
    assert juice["last_sold_on"] is None and juice["sales_count"] == 0


# --- 4.3 -------------------------------------------------------------------------------------------


def test_segments(api, tenant, demo):
    body = _get(api, "/api/analytics/customer-analytics/segments/")
    # Default period: the last 365 days up to today.
    assert body["period"] == {"period_start": "2024-01-19", "period_end": "2025-01-17", "days": 365}
    assert [s["segment"] for s in body["segments"]] == list(SEGMENTS)
    assert all(set(s) >= SEGMENT_KEYS for s in body["segments"])
    assert body["segments"] == recompute.segments(tenant, date(2024, 1, 19), TODAY)
    assert body["total_customers"] == 10  # c10 bought only before the period, c11's sale was refunded
    by_name = {s["segment"]: s for s in body["segments"]}
    champions = by_name["Champions"]
    assert champions["count"] == 1
    # Champion c0: six purchases in the year.
    assert champions["avg_purchase"] == recompute.m(Decimal(champions["total_spent"]) / 6)
    assert by_name["Lost"]["count"] >= 1


def test_at_risk(api, tenant, demo):
    body = _get(api, "/api/analytics/customer-analytics/at-risk/")
    assert body["period"] == {"period_start": "2024-01-19", "period_end": "2025-01-17", "days": 365}
    expected = recompute.rfm(tenant, date(2024, 1, 19), TODAY)
    risky = {cid: row for cid, row in expected.items() if row["segment"] in SEGMENTS[6:]}
    assert body["count"] == len(risky) > 0
    assert [row["customer_id"] for row in body["results"]] == sorted(
        risky, key=lambda cid: (-risky[cid]["spent"], risky[cid]["last"], cid)
    )
    for row in body["results"]:
        want = risky[row["customer_id"]]
        last_day = recompute.local_day(tenant, want["last"])
        assert row == {
            "customer_id": row["customer_id"],
            "name": row["name"],
            "phone": row["phone"],
            "email": "",
            "segment": want["segment"],
            "recency_score": want["r"],
            "frequency_score": want["f"],
            "monetary_score": want["m"],
            "rfm_score": f"{want['r']}{want['f']}{want['m']}",
            "purchases_count": want["count"],
            "total_spent": recompute.m(want["spent"]),
            "last_purchase": want["last"].astimezone(NOON.tzinfo).isoformat(),
            "last_purchase_date": last_day.isoformat(),
            "days_since_last_purchase": (TODAY - last_day).days,
        }
        assert row["name"].startswith("Test Mijoz")


# --- 4.4 ---------------------------------------------------------------------------------------------


def _stock_lines(body: dict, tenant, demo) -> None:
    for line in body["products"]:
        assert set(line) >= STOCK_KEYS
        product = next(p for p in demo.products.values() if p.pk == line["id"])
        product.refresh_from_db()
        assert line["product"]["id"] == product.pk
        assert line["product"]["sku"] == product.sku
        expected = recompute.stock(tenant, product, TODAY)
        assert {k: line[k] for k in expected} == expected


def test_latest(api, tenant, demo):
    body = _get(api, "/api/analytics/inventory-snapshots/latest/")
    assert body["date"] == "2025-01-17"
    # Every active product, and the inactive one that still has stock.
    assert body["count"] == len(body["products"]) == 7
    _stock_lines(body, tenant, demo)
    milk = next(line for line in body["products"] if line["product"]["sku"] == "MILK")
    assert milk["reserved_quantity"] == "2.000"  # the pending sale's line


def test_low_stock_alerts(api, tenant, demo):
    body = _get(api, "/api/analytics/inventory-snapshots/low-stock-alerts/")
    assert set(body) >= {"date", "count", "products"}
    assert body["date"] == "2025-01-17"
    assert [line["product"]["sku"] for line in body["products"]] == ["SALT", "SOAP"]  # the emptiest first
    assert body["count"] == 2
    _stock_lines(body, tenant, demo)
    soap = body["products"][1]
    assert (soap["quantity_on_hand"], soap["reserved_quantity"], soap["available_quantity"]) == (
        "3.000",
        "1.000",
        "2.000",
    )
    assert soap["is_low_stock"] is True
    assert soap["days_of_stock"] is None  # it never sold: it does not run out


def test_out_of_stock(api, tenant, demo):
    body = _get(api, "/api/analytics/inventory-snapshots/out-of-stock/")
    assert body["date"] == "2025-01-17"
    assert [line["product"]["sku"] for line in body["products"]] == ["SALT"]
    assert body["count"] == 1
    _stock_lines(body, tenant, demo)


def test_stored_snapshot_of_a_day(api, tenant, demo):
    call_command("snapshot-stock", tenant=str(tenant.pk))
    live = _get(api, "/api/analytics/inventory-snapshots/latest/")
    stored = _get(api, "/api/analytics/inventory-snapshots/?date=2025-01-17")
    assert stored == live
