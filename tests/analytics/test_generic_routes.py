"""The generic endpoint checks (tests/generic.py) on the reports of document 001 §4 besides the daily
sales list: today, period and trends, top products and slow movers, RFM segments and customers at
risk, the stored stock snapshot and the live stock lists. Each is a manager's report (cashiers and
agents: 403). Their rows are products, customers or totals under the report's own keys, so "the
list excludes the other store" is checked on those (the other store has the same kind of rows)."""

from decimal import Decimal

from savdo.analytics.models import StockSnapshot
from savdo.analytics.services import stock_snapshot_take
from savdo.tenancy.models import Role
from tests.catalog.factories import ProductFactory
from tests.conftest import Member
from tests.factories import MembershipFactory
from tests.generic import EndpointChecks
from tests.inventory.factories import receive
from tests.sales.factories import make_customer, open_shift, sell

ANALYTICS = "/api/analytics/"


def managers_only(path: str) -> list[tuple[str, str, str]]:
    return [("get", path, Role.CASHIER), ("get", path, Role.AGENT)]


def sold_product(tenant, *, customer=None):
    """A product of `tenant` sold today, once, in a new cashier's shift (the sale is completed)."""
    membership = MembershipFactory(tenant=tenant, role=Role.CASHIER)
    open_shift(membership)
    product = ProductFactory(tenant=tenant, sale_price=Decimal("1000"))
    receive(product, 10)
    sell(membership, [(product, 1)], customer=customer)
    return product


def buyer(tenant):
    """A customer of `tenant` who bought once today."""
    customer = make_customer(tenant)
    sold_product(tenant, customer=customer)
    return customer


def stocked_product(tenant, quantity=10, **fields):
    product = ProductFactory(tenant=tenant, **fields)
    if quantity:
        receive(product, quantity)
    return product


class ReportChecks(EndpointChecks):
    """A manager's report: `rows_key` holds its rows, `row_id` each row's product or customer id."""

    rows_key = ""
    row_id = "id"

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        """... also when the other store asked the same report first (its answer is cached)."""
        mine = Member(tenant, self.actor_role)
        own = self.make_object(tenant)
        foreign = self.make_object(other_tenant)
        path = f"{self.list_path}?{self.list_query_params}"
        assert Member(other_tenant, self.actor_role).client.get(path).status_code == 200
        response = mine.client.get(path)
        assert response.status_code == 200, response.content[:300]
        ids = {row[self.row_id] for row in response.json()[self.rows_key]}
        assert ids == {self.id_of(own)}
        assert self.id_of(foreign) not in ids

    def id_of(self, obj) -> int:
        return obj.pk


class TotalsChecks(ReportChecks):
    """A report of totals: they count the caller's store's one sale, not the other store's two."""

    def count_of(self, body) -> int:  # pragma: no cover - each subclass reads its total
        raise NotImplementedError

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        mine = Member(tenant, self.actor_role)
        self.make_object(tenant)
        self.make_object(other_tenant)
        self.make_object(other_tenant)
        path = f"{self.list_path}?{self.list_query_params}"
        assert Member(other_tenant, self.actor_role).client.get(path).status_code == 200
        response = mine.client.get(path)
        assert response.status_code == 200, response.content[:300]
        assert self.count_of(response.json()) == 1


# --- daily sales ---------------------------------------------------------------------------------------


class TestTodayReport(TotalsChecks):
    list_path = ANALYTICS + "daily-sales/today/"
    forbidden = managers_only(list_path)
    list_query_params = ""

    def make_object(self, tenant):
        return sold_product(tenant)

    def count_of(self, body):
        return body["total_sales_count"]


class TestPeriodReport(TotalsChecks):
    list_path = ANALYTICS + "daily-sales/period/"
    forbidden = managers_only(list_path)
    list_query_params = ""

    def make_object(self, tenant):
        return sold_product(tenant)

    def count_of(self, body):
        assert sum(day["total_sales_count"] for day in body["daily_reports"]) == body["totals"]["total_count"]
        return body["totals"]["total_count"]


class TestTrendsReport(TotalsChecks):
    list_path = ANALYTICS + "daily-sales/trends/"
    forbidden = managers_only(list_path)
    list_query_params = "days=7"

    def make_object(self, tenant):
        return sold_product(tenant)

    def count_of(self, body):
        return sum(point["total_sales_count"] for point in body["trends"])


# --- products ------------------------------------------------------------------------------------------


class TestTopProductsReport(ReportChecks):
    list_path = ANALYTICS + "product-performance/top-products/"
    forbidden = managers_only(list_path)
    list_query_params = "limit=100"
    rows_key = "top_products"
    row_id = "product_id"

    def make_object(self, tenant):
        return sold_product(tenant)


class TestSlowMoversReport(ReportChecks):
    list_path = ANALYTICS + "product-performance/slow-movers/"
    forbidden = managers_only(list_path)
    list_query_params = "limit=100"
    rows_key = "products"
    row_id = "product_id"

    def make_object(self, tenant):
        return stocked_product(tenant)


# --- customers (RFM) -------------------------------------------------------------------------------------


class TestSegmentsReport(TotalsChecks):
    list_path = ANALYTICS + "customer-analytics/segments/"
    forbidden = managers_only(list_path)
    list_query_params = ""

    def make_object(self, tenant):
        return buyer(tenant)

    def count_of(self, body):
        assert sum(segment["count"] for segment in body["segments"]) == body["total_customers"]
        return body["total_customers"]


class TestAtRiskReport(ReportChecks):
    """A store's only buyer scores 1 on recency (the lowest quintile), and frequency and monetary:
    Lost, one of the at-risk segments."""

    list_path = ANALYTICS + "customer-analytics/at-risk/"
    forbidden = managers_only(list_path)
    rows_key = "results"
    row_id = "customer_id"

    def make_object(self, tenant):
        return buyer(tenant)


# --- stock ---------------------------------------------------------------------------------------------


class TestStockSnapshotReport(ReportChecks):
    """The stored snapshot (the latest one): its lines are the products' stock as it was taken."""

    list_path = ANALYTICS + "inventory-snapshots/"
    forbidden = managers_only(list_path)
    rows_key = "products"

    def make_object(self, tenant):
        product = stocked_product(tenant)
        stock_snapshot_take(tenant=tenant)
        return StockSnapshot.objects.get(tenant=tenant, product=product)

    def id_of(self, snapshot):
        return snapshot.product_id


class TestLatestStockReport(ReportChecks):
    list_path = ANALYTICS + "inventory-snapshots/latest/"
    forbidden = managers_only(list_path)
    rows_key = "products"

    def make_object(self, tenant):
        return stocked_product(tenant)


class TestLowStockReport(ReportChecks):
    list_path = ANALYTICS + "inventory-snapshots/low-stock-alerts/"
    forbidden = managers_only(list_path)
    rows_key = "products"

    def make_object(self, tenant):
        return stocked_product(tenant, quantity=2, reorder_level=Decimal("5"))


class TestOutOfStockReport(ReportChecks):
    list_path = ANALYTICS + "inventory-snapshots/out-of-stock/"
    forbidden = managers_only(list_path)
    rows_key = "products"

    def make_object(self, tenant):
        return stocked_product(tenant, quantity=0)
