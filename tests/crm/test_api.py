"""The CRM v1 surface (savdo/api/crm_v1/) on the kernel: the generic checks on every route, another
store's customer refused everywhere, roles, the change log, answers current after every write."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from savdo.audit.models import ChangeLogEntry
from savdo.crm.choices import DealStatus
from savdo.crm.models import Activity, Deal
from savdo.customers.models import Customer
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.crm.factories import ActivityFactory, DealFactory
from tests.customers.factories import CustomerFactory
from tests.generic import EndpointChecks

CUSTOMERS = "/api/v1/customers"
DEALS = "/api/v1/deals"
ACTIVITIES = "/api/v1/activities"
DASHBOARD = "/api/v1/analytics/dashboard"
SALES = "/api/v1/analytics/sales"


def rows(response, key: str) -> list:
    assert response.status_code == 200, response.content[:300]
    return response.json()["data"][key]


class CrmEndpointChecks(EndpointChecks):
    """EndpointChecks with 003's `?limit=` and the rows under `data.<rows_key>`."""

    list_query_params = "limit=50"
    rows_key = ""

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        mine = Member(tenant, self.actor_role)
        own = self.make_object(tenant)
        foreign = self.make_object(other_tenant)
        ids = {row["id"] for row in rows(mine.client.get(f"{self.list_path}?{self.list_query_params}"), self.rows_key)}
        assert own.pk in ids
        assert foreign.pk not in ids


class TestCustomerEndpoints(CrmEndpointChecks):
    list_path = CUSTOMERS
    detail_path = CUSTOMERS + "/{pk}"
    rows_key = "customers"
    model = Customer
    create_payload = staticmethod(lambda tenant: {"name": "Ali Valiyev", "email": "ali@example.com"})
    forbidden = [("delete", CUSTOMERS + "/{pk}", Role.CASHIER), ("delete", CUSTOMERS + "/{pk}", Role.AGENT)]

    def make_object(self, tenant):
        return CustomerFactory(tenant=tenant)


class TestDealEndpoints(CrmEndpointChecks):
    list_path = DEALS
    detail_path = DEALS + "/{pk}"
    rows_key = "deals"
    model = Deal
    forbidden = [
        ("post", DEALS, Role.CASHIER),
        ("put", DEALS + "/{pk}", Role.CASHIER),
        ("delete", DEALS + "/{pk}", Role.AGENT),
    ]

    @staticmethod
    def create_payload(tenant):
        return {"title": "Mebel", "value": 100, "customerId": CustomerFactory(tenant=tenant).pk}

    def make_object(self, tenant):
        return DealFactory(tenant=tenant)


class TestActivityEndpoints(CrmEndpointChecks):
    list_path = ACTIVITIES
    detail_path = ACTIVITIES + "/{pk}"
    rows_key = "activities"
    model = Activity

    @staticmethod
    def create_payload(tenant):
        return {"type": "call", "description": "Called", "customerId": CustomerFactory(tenant=tenant).pk}

    def make_object(self, tenant):
        return ActivityFactory(tenant=tenant)


class AnalyticsChecks(EndpointChecks):
    """The analytics routes: 401, 403 for cashiers and agents, a constant query count, and the other
    store's deals nowhere in the figures (they have no rows to list)."""

    list_query_params = ""
    model = Deal

    def make_object(self, tenant):
        return DealFactory(tenant=tenant, status=DealStatus.COMPLETED, value=10)

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        self.make_object(tenant)
        DealFactory(tenant=other_tenant, status=DealStatus.COMPLETED, value=10**6)
        body = rows_of(Member(tenant, self.actor_role).client.get(self.list_path))
        assert body["monthlySales" if "monthlySales" in body else "totalSales"] == 10


def rows_of(response) -> dict:
    assert response.status_code == 200, response.content[:300]
    return response.json()["data"]


class TestDashboardEndpoint(AnalyticsChecks):
    list_path = DASHBOARD
    forbidden = [("get", DASHBOARD, Role.CASHIER), ("get", DASHBOARD, Role.AGENT)]


class TestSalesEndpoint(AnalyticsChecks):
    list_path = SALES
    forbidden = [("get", SALES, Role.CASHIER), ("get", SALES, Role.AGENT)]


# --- analytics: 401, 403, only the store's own figures ----------------------------------------------


@pytest.mark.parametrize("path", [DASHBOARD, SALES])
def test_analytics_needs_a_token(anon, path):
    assert anon.get(path).status_code == 401


@pytest.mark.parametrize("role", [Role.CASHIER, Role.AGENT])
@pytest.mark.parametrize("path", [DASHBOARD, SALES])
def test_analytics_is_for_managers(tenant, path, role):
    response = Member(tenant, role).client.get(path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.MANAGER])
def test_analytics_reads_only_the_stores_own_deals(tenant, other_tenant, role):
    DealFactory(tenant=other_tenant, status=DealStatus.COMPLETED, value=10**6)
    DealFactory(tenant=tenant, status=DealStatus.COMPLETED, value=5)
    client = Member(tenant, role).client
    board = client.get(DASHBOARD).json()["data"]
    assert (board["totalCustomers"], board["monthlySales"]) == (1, 5)
    assert client.get(SALES).json()["data"]["totalSales"] == 5


# --- another store's customer: refused on create and update, empty as a filter ---------------------


@pytest.fixture
def foreign_customer(other_tenant):
    return CustomerFactory(tenant=other_tenant)


def _refused_customer(response):
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert response.json()["error"]["details"] == {"customerId": ["Не найдено."]}


@pytest.mark.parametrize("path", [DEALS, ACTIVITIES])
def test_create_with_another_stores_customer_is_refused(owner, foreign_customer, path):
    payload = {"title": "x", "type": "call", "description": "x", "customerId": foreign_customer.pk}
    _refused_customer(owner.client.post(path, payload, format="json"))
    # the same answer as for an id that exists nowhere
    missing = owner.client.post(path, {**payload, "customerId": foreign_customer.pk + 1000}, format="json")
    assert missing.json() == owner.client.post(path, payload, format="json").json()
    assert not Deal.objects.exists() and not Activity.objects.exists()


def test_update_with_another_stores_customer_is_refused(owner, tenant, foreign_customer):
    deal = DealFactory(tenant=tenant, title="Old")
    _refused_customer(
        owner.client.put(f"{DEALS}/{deal.pk}", {"title": "New", "customerId": foreign_customer.pk}, format="json")
    )
    deal.refresh_from_db()
    assert deal.title == "Old" and deal.customer.tenant_id == tenant.pk


@pytest.mark.parametrize(
    ("path", "key", "factory"), [(DEALS, "deals", DealFactory), (ACTIVITIES, "activities", ActivityFactory)]
)
def test_filter_by_another_stores_customer_is_empty(owner, tenant, other_tenant, path, key, factory):
    mine = factory(tenant=tenant)
    theirs = factory(tenant=other_tenant)
    assert [row["id"] for row in rows(owner.client.get(f"{path}?customerId={mine.customer_id}"), key)] == [mine.pk]
    assert rows(owner.client.get(f"{path}?customerId={theirs.customer_id}"), key) == []
    assert rows(owner.client.get(f"{path}?customerId=999999999"), key) == []


@pytest.mark.parametrize("path", [DEALS, ACTIVITIES])
@pytest.mark.parametrize("value", ["abc", "0", "-1", "99999999999999999999"])
def test_a_customer_id_filter_that_is_no_id_is_400(owner, path, value):
    response = owner.client.get(f"{path}?customerId={value}")
    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["customerId"]


# --- query counts --------------------------------------------------------------------------------


def test_analytics_query_counts_are_constant(owner, tenant, settings):
    settings.SAVDO_RESPONSE_CACHE = False
    DealFactory(tenant=tenant, status=DealStatus.COMPLETED)

    def count(path):
        owner.client.get(path)
        with CaptureQueriesContext(connection) as queries:
            assert owner.client.get(path).status_code == 200
        return len(queries)

    few = (count(DASHBOARD), count(SALES + "?period=daily"))
    for _ in range(15):
        DealFactory(tenant=tenant, status=DealStatus.COMPLETED)
        DealFactory(tenant=tenant, status=DealStatus.CANCELLED)
    assert (count(DASHBOARD), count(SALES + "?period=daily")) == few


# --- roles ---------------------------------------------------------------------------------------


def test_a_cashier_reads_deals_and_records_activities(tenant):
    cashier = Member(tenant, Role.CASHIER)
    deal = DealFactory(tenant=tenant)
    assert cashier.client.get(f"{DEALS}/{deal.pk}").status_code == 200
    payload = {"type": "call", "description": "Called back", "customerId": deal.customer_id}
    assert cashier.client.post(ACTIVITIES, payload, format="json").status_code == 201
    assert cashier.client.post(CUSTOMERS, {"name": "Ali", "email": "a@example.com"}, format="json").status_code == 201


def test_activities_cannot_be_edited_or_deleted(owner, tenant):
    activity = ActivityFactory(tenant=tenant)
    assert owner.client.put(f"{ACTIVITIES}/{activity.pk}", {"description": "x"}, format="json").status_code == 405
    assert owner.client.delete(f"{ACTIVITIES}/{activity.pk}").status_code == 405
    assert Activity.objects.filter(pk=activity.pk, description=activity.description).exists()


# --- writes: the change log, the status history, current answers ---------------------------------


def test_writes_are_logged_with_their_actor(owner, tenant):
    customer = CustomerFactory(tenant=tenant)
    response = owner.client.post(DEALS, {"title": "Mebel", "customerId": customer.pk}, format="json")
    deal_id = response.json()["data"]["deal"]["id"]
    owner.client.put(f"{DEALS}/{deal_id}", {"status": "in_progress"}, format="json")
    entries = list(ChangeLogEntry.objects.filter(object_type="crm.deal").order_by("id"))
    assert [(e.action, e.actor_id, e.object_id) for e in entries] == [
        ("create", owner.user.pk, deal_id),
        ("update", owner.user.pk, deal_id),
    ]
    assert entries[1].changes["status"] == ["new", "in_progress"]
    history = Deal.objects.get(pk=deal_id).status_changes.order_by("id")
    assert [(h.from_status, h.to_status, h.changed_by_id) for h in history] == [
        ("", "new", owner.user.pk),
        ("new", "in_progress", owner.user.pk),
    ]


def test_answers_follow_every_write_at_once(owner, tenant, settings):
    """With the response cache on (as in production), each read after a write sees it."""
    settings.SAVDO_RESPONSE_CACHE = True
    customer = CustomerFactory(tenant=tenant, display_name="Aziza")
    deal = DealFactory(tenant=tenant, customer=customer, value=700, status=DealStatus.IN_PROGRESS)
    client = owner.client
    assert client.get(DASHBOARD).json()["data"]["monthlySales"] == 0
    assert client.get(SALES).json()["data"]["totalSales"] == 0
    assert rows(client.get(DEALS), "deals")[0]["status"] == "in_progress"
    assert client.put(f"{DEALS}/{deal.pk}", {"status": "completed"}, format="json").status_code == 200
    board = client.get(DASHBOARD).json()["data"]
    assert (board["monthlySales"], board["activeDeals"], board["conversionRate"]) == (700, 0, 100)
    assert client.get(SALES).json()["data"]["totalSales"] == 700
    assert rows(client.get(DEALS), "deals")[0]["status"] == "completed"
    # a customer renamed through another surface shows renamed in the deals list
    client.put(f"{CUSTOMERS}/{customer.pk}", {"name": "Aziza Karimova"}, format="json")
    assert rows(client.get(DEALS), "deals")[0]["customer"]["name"] == "Aziza Karimova"


def test_delete_customer_with_deals_is_409_and_changes_nothing(owner, tenant):
    deal = DealFactory(tenant=tenant)
    response = owner.client.delete(f"{CUSTOMERS}/{deal.customer_id}")
    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "error": {
            "code": "CONFLICT",
            "message": "У клиента есть сделки, удалить его нельзя; сначала удалите его сделки.",
        },
    }
    assert Customer.objects.filter(pk=deal.customer_id).exists()
    assert not ChangeLogEntry.objects.exists()


def test_a_customer_without_email_saves_back_as_loaded_but_a_new_one_needs_one(owner, tenant):
    customer = CustomerFactory(tenant=tenant, email="")
    loaded = owner.client.get(f"{CUSTOMERS}/{customer.pk}").json()["data"]["customer"]
    assert loaded["email"] == ""
    body = {key: loaded[key] for key in ("name", "email", "phone", "company", "status", "value")}
    saved = owner.client.put(f"{CUSTOMERS}/{customer.pk}", {**body, "company": "Shop LLC"}, format="json")
    assert saved.status_code == 200, saved.content
    assert (saved.json()["data"]["customer"]["email"], saved.json()["data"]["customer"]["company"]) == ("", "Shop LLC")
    for path, method in ((CUSTOMERS, owner.client.post), (f"{CUSTOMERS}/{customer.pk}", owner.client.put)):
        with_email = CustomerFactory(tenant=tenant, email="a@b.uz") if method == owner.client.put else None
        target = f"{CUSTOMERS}/{with_email.pk}" if with_email else path
        refused = method(target, {**body, "email": ""}, format="json")
        assert refused.status_code == 400, (target, refused.content)
        assert refused.json()["error"]["code"] == "VALIDATION_ERROR"
        assert "email" in refused.json()["error"]["details"]


def test_languages(owner, tenant):
    response = owner.client.post(DEALS, {"title": "x", "customerId": 123456}, format="json", HTTP_ACCEPT_LANGUAGE="uz")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"customerId": ["Topilmadi."]}
    response = owner.client.get(f"{DEALS}/123456", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"] == {"code": "NOT_FOUND", "message": "Deal not found."}
    response = owner.client.get(f"{DEALS}/123456", HTTP_ACCEPT_LANGUAGE="uz")
    assert response.json()["error"] == {"code": "NOT_FOUND", "message": "Kelishuv topilmadi."}
