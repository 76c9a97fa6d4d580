"""The analytics routes: who may call them, what bad input answers, tenant isolation, freshness (a sale
made a moment ago is in today's report, top products and segments) and constant query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from savdo.analytics import services
from savdo.analytics.models import StockSnapshot
from savdo.sales.models import DailySales
from savdo.tenancy.models import Role
from tests.analytics import recompute
from tests.analytics.shop import NOON, build_shop, days_ago
from tests.catalog.factories import ProductFactory
from tests.conftest import Member
from tests.generic import EndpointChecks
from tests.inventory.factories import receive
from tests.sales.factories import make_customer

TODAY = NOON.date()
ROUTES = [
    "/api/analytics/daily-sales/",
    "/api/analytics/daily-sales/today/",
    "/api/analytics/daily-sales/period/?start_date=2025-01-01&end_date=2025-01-17",
    "/api/analytics/daily-sales/trends/?days=7",
    "/api/analytics/product-performance/top-products/",
    "/api/analytics/product-performance/slow-movers/",
    "/api/analytics/customer-analytics/segments/",
    "/api/analytics/customer-analytics/at-risk/",
    "/api/analytics/inventory-snapshots/latest/",
    "/api/analytics/inventory-snapshots/low-stock-alerts/",
    "/api/analytics/inventory-snapshots/out-of-stock/",
]


class TestDailySalesEndpoints(EndpointChecks):
    """The one list/detail resource of §4: the generic 401/404/403/isolation/query-count checks."""

    list_path = "/api/analytics/daily-sales/"
    detail_path = "/api/analytics/daily-sales/{pk}/"
    forbidden = [
        ("get", "/api/analytics/daily-sales/", Role.CASHIER),
        ("get", "/api/analytics/daily-sales/{pk}/", Role.CASHIER),
        ("get", "/api/analytics/daily-sales/{pk}/", Role.AGENT),
    ]
    model = DailySales
    _days = iter(range(1, 100_000))

    def make_object(self, tenant):
        return DailySales.objects.create(
            tenant=tenant,
            date=date(2020, 1, 1) + timedelta(days=next(self._days)),
            sales_count=2,
            sales_amount=Decimal("30000.00"),
        )


def test_daily_sales_detail(tenant):
    row = TestDailySalesEndpoints().make_object(tenant)
    body = Member(tenant, Role.MANAGER).client.get(f"/api/analytics/daily-sales/{row.pk}/").json()
    assert body["id"] == row.pk
    assert body["total_sales"] == "30000.00"
    assert body["avg_sale_amount"] == "15000.00"


@pytest.mark.parametrize("path", [*ROUTES, "/api/analytics/inventory-snapshots/"])
def test_anonymous_is_401(anon, tenant, path):
    assert anon.get(path, HTTP_X_TENANT_KEY=tenant.key).status_code == 401


@pytest.mark.parametrize("path", [*ROUTES, "/api/analytics/inventory-snapshots/"])
@pytest.mark.parametrize("role", [Role.CASHIER, Role.AGENT])
def test_below_manager_is_403(tenant, path, role):
    response = Member(tenant, role).client.get(path)
    assert response.status_code == 403, response.content
    assert response.json()["status"] == "error"


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN, Role.OWNER])
def test_managers_and_above_are_allowed(tenant, path, role):
    assert Member(tenant, role).client.get(path).status_code == 200


@pytest.mark.parametrize("path", ROUTES)
def test_routes_answer_without_trailing_slash(tenant, path):
    bare = path.replace("/?", "?") if "?" in path else path.rstrip("/")
    assert Member(tenant, Role.MANAGER).client.get(bare).status_code == 200, bare


def test_a_tenant_key_of_another_shop_is_403(tenant, other_tenant):
    response = Member(tenant, Role.OWNER).client.get(
        "/api/analytics/daily-sales/today/", HTTP_X_TENANT_KEY=other_tenant.key
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/analytics/daily-sales/?start_date=2025-13-01", "start_date"),
        ("/api/analytics/daily-sales/period/?start_date=yesterday", "start_date"),
        ("/api/analytics/daily-sales/period/?start_date=2025-01-10&end_date=2025-01-01", "end_date"),
        ("/api/analytics/daily-sales/period/?start_date=2020-01-01&end_date=2025-01-01", "end_date"),
        ("/api/analytics/daily-sales/period/?start_date=2018-01-01", "start_date"),
        ("/api/analytics/daily-sales/period/?start_date=2099-01-01", "start_date"),
        ("/api/analytics/daily-sales/trends/?days=0", "days"),
        ("/api/analytics/daily-sales/trends/?days=abc", "days"),
        ("/api/analytics/daily-sales/trends/?days=100000", "days"),
        ("/api/analytics/product-performance/top-products/?limit=0", "limit"),
        ("/api/analytics/product-performance/top-products/?limit=101", "limit"),
        ("/api/analytics/product-performance/top-products/?order_by=price", "order_by"),
        ("/api/analytics/product-performance/top-products/?end_date=2025-02-30", "end_date"),
        ("/api/analytics/product-performance/slow-movers/?days=-3", "days"),
        ("/api/analytics/customer-analytics/segments/?start_date=2025-01-18&end_date=2025-01-17", "end_date"),
        ("/api/analytics/customer-analytics/at-risk/?end_date=x", "end_date"),
        ("/api/analytics/inventory-snapshots/?date=17.01.2025", "date"),
    ],
)
def test_bad_query_is_400_with_the_field(tenant, clock, path, field):
    response = Member(tenant, Role.MANAGER).client.get(path)
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]


def test_messages_are_russian_by_default(tenant, clock):
    client = Member(tenant, Role.MANAGER).client
    body = client.get("/api/analytics/daily-sales/period/?start_date=2025-01-10&end_date=2025-01-01").json()
    assert body == {"end_date": ["Дата окончания раньше даты начала."]}
    body = client.get("/api/analytics/inventory-snapshots/?date=2025-01-17").json()
    assert body == {"status": "error", "message": "Снимок остатков за 2025-01-17 не сохранялся."}
    english = client.get("/api/analytics/inventory-snapshots/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english == {"status": "error", "message": "No stock snapshot has been taken yet."}
    uzbek = client.get("/api/analytics/inventory-snapshots/", HTTP_ACCEPT_LANGUAGE="uz").json()
    assert uzbek["message"] == "Qoldiqlar surati hali olinmagan."


# --- tenant isolation --------------------------------------------------------------------------------


def test_another_tenants_numbers_never_show(tenant, other_tenant, clock, shop, other_shop):
    """The other shop sells the same SKUs on the same days, today included."""
    mine = Member(tenant, Role.OWNER).client
    theirs = Member(other_tenant, Role.OWNER).client
    assert (
        mine.get("/api/analytics/daily-sales/today/").json()["total_sales"]
        == recompute.daily_report(tenant, TODAY)["total_sales"]
    )
    their_today = theirs.get("/api/analytics/daily-sales/today/").json()
    assert their_today["total_sales"] == recompute.daily_report(other_tenant, TODAY)["total_sales"]
    assert their_today["total_sales"] != recompute.daily_report(tenant, TODAY)["total_sales"]

    my_products = {p.pk for p in shop.products.values()}
    their_products = {p.pk for p in other_shop.products.values()}
    for path, key, field in [
        ("/api/analytics/product-performance/top-products/?limit=100", "top_products", "product_id"),
        ("/api/analytics/product-performance/slow-movers/?limit=100", "products", "product_id"),
        ("/api/analytics/inventory-snapshots/latest/", "products", "id"),
        ("/api/analytics/inventory-snapshots/low-stock-alerts/", "products", "id"),
        ("/api/analytics/inventory-snapshots/out-of-stock/", "products", "id"),
    ]:
        ids = {row[field] for row in theirs.get(path).json()[key]}
        assert ids and ids <= their_products, path
        assert not ids & my_products, path

    their_customers = {c.pk for c in other_shop.customers}
    segments = theirs.get("/api/analytics/customer-analytics/segments/").json()
    assert segments["total_customers"] == len(their_customers) == 1
    at_risk = mine.get("/api/analytics/customer-analytics/at-risk/?page_size=100").json()
    assert not {row["customer_id"] for row in at_risk["results"]} & their_customers

    their_days = {row["id"] for row in theirs.get("/api/analytics/daily-sales/?page_size=100").json()["results"]}
    mine_days = {row["id"] for row in mine.get("/api/analytics/daily-sales/?page_size=100").json()["results"]}
    assert their_days and mine_days and not their_days & mine_days


def test_another_tenants_snapshot_is_not_found(tenant, other_tenant, clock, other_shop):
    from savdo.analytics.services import stock_snapshot_take

    stock_snapshot_take(tenant=other_tenant)
    assert StockSnapshot.objects.filter(tenant=other_tenant, date=TODAY).exists()
    client = Member(tenant, Role.OWNER).client
    assert client.get("/api/analytics/inventory-snapshots/?date=2025-01-17").status_code == 404
    assert client.get("/api/analytics/inventory-snapshots/").status_code == 404


# --- freshness -----------------------------------------------------------------------------------------


def test_a_sale_made_a_moment_ago_shows_everywhere(tenant, clock, shop):
    client = Member(tenant, Role.MANAGER).client
    before_today = client.get("/api/analytics/daily-sales/today/").json()
    before_top = {
        r["product_code"]: r
        for r in client.get("/api/analytics/product-performance/top-products/").json()["top_products"]
    }
    before_segments = client.get("/api/analytics/customer-analytics/segments/").json()

    newcomer = make_customer(tenant, first_name="Yangi")
    clock.set(NOON + timedelta(seconds=1))
    shop.sell([("juice", 3)], at=NOON + timedelta(seconds=1), customer=newcomer)
    clock.set(NOON + timedelta(seconds=2))

    today = client.get("/api/analytics/daily-sales/today/").json()
    assert Decimal(today["total_sales"]) == Decimal(before_today["total_sales"]) + 30000
    assert today["total_sales_count"] == before_today["total_sales_count"] + 1
    assert today["unique_customers"] == before_today["unique_customers"] + 1
    top = {
        r["product_code"]: r
        for r in client.get("/api/analytics/product-performance/top-products/").json()["top_products"]
    }
    assert "JUICE" not in before_top
    assert top["JUICE"] == {
        "product_id": shop.products["juice"].pk,
        "product_name": "Juice",
        "product_code": "JUICE",
        "total_revenue": "30000.00",
        "total_quantity": "3.000",
        "total_profit": "9000.00",
        "sales_count": 1,
    }
    segments = client.get("/api/analytics/customer-analytics/segments/").json()
    assert segments["total_customers"] == before_segments["total_customers"] + 1
    assert segments["segments"] == recompute.segments(tenant, TODAY - timedelta(days=364), TODAY)
    latest = client.get("/api/analytics/inventory-snapshots/latest/").json()
    juice = next(line for line in latest["products"] if line["product"]["sku"] == "JUICE")
    assert juice["quantity_on_hand"] == "47.000"
    assert juice["avg_daily_sales"] == "0.100"
    assert juice["days_of_stock"] == 470.0


def test_local_midnight_decides_the_day(tenant, clock):
    """A sale at 23:59 Tashkent belongs to that day, one at 00:01 to the next (UTC says otherwise)."""
    shop = build_shop(tenant, clock, rich=False)
    shop.sell([("milk", 1)], at=days_ago(1, 23, 59))
    shop.sell([("milk", 2)], at=days_ago(0, 0, 1))
    client = Member(tenant, Role.MANAGER).client
    today = client.get("/api/analytics/daily-sales/today/").json()
    assert (today["date"], today["total_sales"], today["total_sales_count"]) == ("2025-01-17", "24000.00", 1)
    trends = client.get("/api/analytics/daily-sales/trends/?days=2").json()["trends"]
    assert [(p["date"], p["total_sales"]) for p in trends] == [("2025-01-16", "12000.00"), ("2025-01-17", "24000.00")]


# --- cost ------------------------------------------------------------------------------------------------


ROLLUP_ROUTES = [
    "/api/analytics/daily-sales/today/",
    "/api/analytics/daily-sales/?page_size=50",
    "/api/analytics/daily-sales/period/?start_date=2024-01-18&end_date=2025-01-17",
    "/api/analytics/daily-sales/trends/?days=90",
    "/api/analytics/product-performance/top-products/",
    "/api/analytics/product-performance/slow-movers/",
]
RAW_TABLES = ('"sales_sale"', '"sales_saleitem"', '"sales_refund"', '"sales_refunditem"', '"sales_payment"')


def _queries(client, path: str) -> list[str]:
    client.get(path)  # warm per-process caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("path", ROLLUP_ROUTES)
def test_rollup_reports_read_no_sales_and_cost_the_same_with_more_sales(tenant, clock, shop, path):
    client = Member(tenant, Role.MANAGER).client
    before = _queries(client, path)
    for sql in before:
        assert not any(table in sql for table in RAW_TABLES), sql
    for ago in range(5):
        shop.sell([("milk", 1), ("bread", 1)], at=days_ago(ago, 14))
    after = _queries(client, path)
    assert len(after) == len(before)


def test_segments_and_at_risk_take_a_constant_number_of_statements(tenant, clock, shop, settings):
    settings.SAVDO_RESPONSE_CACHE = False  # the statements themselves, not the cached answers
    client = Member(tenant, Role.MANAGER).client
    base = len(_queries(client, "/api/analytics/daily-sales/today/"))  # auth + one rollup read
    # segments without a stored RFM base: looking for it, one statement.
    segments = _queries(client, "/api/analytics/customer-analytics/segments/")
    assert len(segments) == base + 1
    # at-risk: looking for the base, one statement (the page and its total), the page's customers.
    assert len(_queries(client, "/api/analytics/customer-analytics/at-risk/")) == base + 2
    for index in range(8):
        buyer = make_customer(tenant, first_name=f"More{index}")
        shop.sell([("bread", 1)], at=days_ago(100 + index, 10), customer=buyer)
    assert len(_queries(client, "/api/analytics/customer-analytics/segments/")) == len(segments)
    assert len(_queries(client, "/api/analytics/customer-analytics/at-risk/")) == base + 2
    # From a stored base, with live sales and refunds since: the header, the customers changed since,
    # the stored rows around the quintile cuts, one pass over the stored rows (+ the page's customers).
    services.rfm_base_refresh(tenant=tenant)
    for index in range(3):
        shop.sell([("bread", 1)], at=days_ago(0, 11, index), customer=shop.customers[9 - index])
    shop.refund(shop.sales[2], at=days_ago(0, 11, 40))
    assert len(_queries(client, "/api/analytics/customer-analytics/segments/")) == base + 3
    assert len(_queries(client, "/api/analytics/customer-analytics/at-risk/")) == base + 4
    assert client.get("/api/analytics/customer-analytics/segments/").json()["segments"] == recompute.segments(
        tenant, TODAY - timedelta(days=364), TODAY
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/analytics/inventory-snapshots/latest/",
        "/api/analytics/inventory-snapshots/low-stock-alerts/",
        "/api/analytics/inventory-snapshots/out-of-stock/",
    ],
)
def test_stock_lists_run_constant_queries(tenant, clock, path):
    shop = build_shop(tenant, clock, rich=False)
    client = Member(tenant, Role.MANAGER).client
    few = _queries(client, path)
    for index in range(10):
        product = ProductFactory(tenant=tenant, reorder_level=Decimal("5"))
        if index % 2:
            receive(product, 1, user=shop.seller.user)
    assert len(_queries(client, path)) == len(few)


def test_at_risk_pages(tenant, clock, shop):
    client = Member(tenant, Role.MANAGER).client
    everything = client.get("/api/analytics/customer-analytics/at-risk/?page_size=100").json()
    assert everything["count"] == len(everything["results"]) >= 3
    first = client.get("/api/analytics/customer-analytics/at-risk/?page_size=2").json()
    assert first["count"] == everything["count"]
    assert first["results"] == everything["results"][:2]
    assert first["previous"] is None and "page=2" in first["next"]
    second = client.get("/api/analytics/customer-analytics/at-risk/?page_size=2&page=2").json()
    assert second["results"] == everything["results"][2:4]
    last = everything["count"]
    final = client.get(f"/api/analytics/customer-analytics/at-risk/?page_size=1&page={last}").json()
    assert final["next"] is None and f"page={last - 1}" in final["previous"]
    assert final["results"] == everything["results"][-1:]
    assert "page=" not in second["previous"]
    for page in ("99", "0", "-1", "abc"):
        response = client.get(f"/api/analytics/customer-analytics/at-risk/?page_size=2&page={page}")
        assert response.status_code == 404, page


def test_stock_lists_page(tenant, clock, shop):
    client = Member(tenant, Role.MANAGER).client
    everything = client.get("/api/analytics/inventory-snapshots/latest/").json()
    page = client.get("/api/analytics/inventory-snapshots/latest/?page_size=3&page=2").json()
    assert page["count"] == everything["count"] == 7
    assert page["products"] == everything["products"][3:6]
