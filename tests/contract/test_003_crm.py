"""Document 003 (CRM /api/v1): every documented request and response of customers, deals,
activities and analytics, in the `{success, data}` envelope, and each documented error code.

(Login, logout and refresh: tests/contract/test_003_auth.py; the session end of a logout without a
body: tests/accounts/test_logout_session.py and the flow at the end of this file.)
"""

from datetime import datetime

import pytest
from rest_framework.test import APIClient

from savdo.api.throttling import UserRateThrottle
from savdo.crm.choices import DealStatus
from savdo.crm.models import Deal
from savdo.customers.models import Customer, CustomerStatus
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.crm.factories import ActivityFactory, DealFactory
from tests.customers.factories import CustomerFactory

V1 = "/api/v1"
CUSTOMER_KEYS = {"id", "name", "email", "phone", "company", "status", "value", "createdAt", "updatedAt"}
DEAL_KEYS = {"id", "title", "description", "value", "status", "customerId", "customer", "createdAt", "updatedAt"}
ACTIVITY_KEYS = {"id", "type", "description", "customerId", "customer", "createdAt"}


def data(response, status: int = 200):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"success", "data"}
    assert body["success"] is True
    return body["data"]


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"success", "error"}
    assert body["success"] is False
    assert set(body["error"]) <= {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None
    return moment


def assert_customer(row: dict) -> None:
    assert set(row) == CUSTOMER_KEYS
    assert isinstance(row["id"], int)
    for key in ("name", "email", "phone", "company", "status", "value"):
        assert isinstance(row[key], str), key
    iso(row["createdAt"])
    iso(row["updatedAt"])


def assert_deal(row: dict) -> None:
    assert set(row) == DEAL_KEYS
    assert isinstance(row["id"], int) and isinstance(row["customerId"], int)
    assert isinstance(row["value"], int | float) and not isinstance(row["value"], bool)
    assert row["status"] in DealStatus.values
    assert set(row["customer"]) == {"id", "name", "company"}
    assert row["customer"]["id"] == row["customerId"]
    iso(row["createdAt"])
    iso(row["updatedAt"])


def assert_activity(row: dict) -> None:
    assert set(row) == ACTIVITY_KEYS
    assert isinstance(row["id"], int) and isinstance(row["customerId"], int)
    assert set(row["customer"]) == {"id", "name"}
    assert row["customer"]["id"] == row["customerId"]
    iso(row["createdAt"])


@pytest.fixture
def client(owner):
    return owner.client


# --- GET /customers ----------------------------------------------------------------------------------


def test_customers_list_pages_by_ten(client, tenant):
    for n in range(12):
        CustomerFactory(tenant=tenant, display_name=f"Mijoz {n:02d}")
    first = data(client.get(f"{V1}/customers"))
    assert set(first) == {"customers", "pagination"}
    assert first["pagination"] == {"currentPage": 1, "totalPages": 2, "totalItems": 12, "itemsPerPage": 10}
    assert len(first["customers"]) == 10
    for row in first["customers"]:
        assert_customer(row)
    assert first["customers"][0]["name"] == "Mijoz 11"  # newest first
    second = data(client.get(f"{V1}/customers?page=2"))
    assert second["pagination"] == {"currentPage": 2, "totalPages": 2, "totalItems": 12, "itemsPerPage": 10}
    assert [row["name"] for row in second["customers"]] == ["Mijoz 01", "Mijoz 00"]
    five = data(client.get(f"{V1}/customers?limit=5&page=3"))
    assert five["pagination"] == {"currentPage": 3, "totalPages": 3, "totalItems": 12, "itemsPerPage": 5}
    assert len(five["customers"]) == 2
    past = data(client.get(f"{V1}/customers?page=9"))
    assert past == {
        "customers": [],
        "pagination": {"currentPage": 9, "totalPages": 2, "totalItems": 12, "itemsPerPage": 10},
    }


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("алишер", ["Алишер Усмонов"]),  # Cyrillic, any case
        ("АЛИШЕР", ["Алишер Усмонов"]),
        ("oqtepa", ["Bobur Aliyev"]),  # company, Latin, any case
        ("BOBUR", ["Bobur Aliyev"]),
        ("OLGA@EXAMPLE", ["Ольга Смирнова"]),  # e-mail
        ("ёлка", ["Ольга Смирнова"]),  # ё and е fold together
        ("nobody", []),
    ],
)
def test_customers_search(client, tenant, term, found):
    CustomerFactory(tenant=tenant, display_name="Алишер Усмонов")
    CustomerFactory(tenant=tenant, display_name="Bobur Aliyev", company_name="Oqtepa Lavash")
    CustomerFactory(tenant=tenant, display_name="Ольга Смирнова", email="olga@example.com", company_name="Елка")
    rows = data(client.get(f"{V1}/customers", {"search": term}))["customers"]
    assert [row["name"] for row in rows] == found


def test_customers_status_filter(client, tenant):
    CustomerFactory(tenant=tenant, status=CustomerStatus.ACTIVE)
    potential = CustomerFactory(tenant=tenant, status=CustomerStatus.POTENTIAL)
    waiting = CustomerFactory(tenant=tenant, status=CustomerStatus.WAITING)
    assert [r["id"] for r in data(client.get(f"{V1}/customers?status=potential"))["customers"]] == [potential.pk]
    assert [r["id"] for r in data(client.get(f"{V1}/customers?status=waiting"))["customers"]] == [waiting.pk]
    assert data(client.get(f"{V1}/customers?status=waiting"))["pagination"]["totalItems"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=blocked", "status"), ("status=ACTIVE", "status"), ("page=0", "page"), ("limit=abc", "limit")],
)
def test_customers_bad_query_is_400(client, query, field):
    details = error(client.get(f"{V1}/customers?{query}"), 400, "VALIDATION_ERROR")["details"]
    assert list(details) == [field]


# --- GET /customers/:id --------------------------------------------------------------------------------


def test_customer_get(client, tenant):
    customer = CustomerFactory(
        tenant=tenant, display_name="Aziza Karimova", company_name="Oqtepa", deal_value="15 mln", status="waiting"
    )
    body = data(client.get(f"{V1}/customers/{customer.pk}"))
    assert set(body) == {"customer"}
    row = body["customer"]
    assert_customer(row)
    assert {k: row[k] for k in ("id", "name", "email", "phone", "company", "status", "value")} == {
        "id": customer.pk,
        "name": "Aziza Karimova",
        "email": customer.email,
        "phone": customer.phone,
        "company": "Oqtepa",
        "status": "waiting",
        "value": "15 mln",
    }
    assert row["createdAt"].endswith("+05:00")  # the store's time zone


def test_customer_get_unknown_is_404(client, other_tenant):
    foreign = CustomerFactory(tenant=other_tenant)
    for pk in (foreign.pk, 999999):
        assert error(client.get(f"{V1}/customers/{pk}"), 404, "NOT_FOUND")["message"] == "Клиент не найден."


# --- POST /customers -----------------------------------------------------------------------------------


def test_customer_create(client, tenant):
    payload = {
        "name": "Алишер Усмонов",
        "email": "Alisher@Example.com",
        "phone": "+998 90 123 45 67",
        "company": "Oqtepa",
        "status": "active",
        "value": "50000",
    }
    row = data(client.post(f"{V1}/customers", payload, format="json"), 201)["customer"]
    assert_customer(row)
    assert {k: row[k] for k in ("name", "email", "phone", "company", "status", "value")} == {
        "name": "Алишер Усмонов",
        "email": "alisher@example.com",
        "phone": "+998901234567",
        "company": "Oqtepa",
        "status": "active",
        "value": "50000",
    }
    customer = Customer.objects.get(pk=row["id"])
    assert (customer.tenant_id, customer.company_name, customer.deal_value, customer.first_name) == (
        tenant.pk,
        "Oqtepa",
        "50000",
        "Алишер",
    )


def test_customer_create_defaults_to_potential(client):
    row = data(client.post(f"{V1}/customers", {"name": "Ali", "email": "ali@example.com"}, format="json"), 201)
    assert (row["customer"]["status"], row["customer"]["value"], row["customer"]["phone"]) == ("potential", "", "")


def test_customer_value_accepts_a_number_and_keeps_it_as_text(client):
    payload = {"name": "Ali", "email": "ali@example.com", "value": 15000}
    assert data(client.post(f"{V1}/customers", payload, format="json"), 201)["customer"]["value"] == "15000"


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"name", "email"}),
        ({"name": " ", "email": "not-an-email"}, {"name", "email"}),
        ({"name": "Ali", "email": "ali@example.com", "status": "blocked"}, {"status"}),
        ({"name": "Ali", "email": "ali@example.com", "phone": "12"}, {"phone"}),
        ({"name": "Ali", "email": "ali@example.com", "value": "x" * 51}, {"value"}),
        ({"name": "Ali", "email": "ali@example.com", "company": ["x"]}, {"company"}),
    ],
)
def test_customer_create_invalid_is_400_naming_the_fields(client, payload, fields):
    details = error(client.post(f"{V1}/customers", payload, format="json"), 400, "VALIDATION_ERROR")["details"]
    assert set(details) == fields
    assert not Customer.objects.exists()


def test_customer_email_is_unique_in_the_store(client, tenant, other_tenant):
    CustomerFactory(tenant=tenant, email="ali@example.com")
    CustomerFactory(tenant=other_tenant, email="vali@example.com")
    taken = client.post(f"{V1}/customers", {"name": "Ali", "email": "ALI@example.com"}, format="json")
    assert error(taken, 400, "VALIDATION_ERROR")["details"] == {"email": ["Покупатель с таким email уже существует"]}
    # another store's e-mail is free here
    data(client.post(f"{V1}/customers", {"name": "Vali", "email": "vali@example.com"}, format="json"), 201)


# --- PUT /customers/:id --------------------------------------------------------------------------------


def test_customer_put(client, tenant):
    customer = CustomerFactory(tenant=tenant, display_name="Ali", status="potential")
    payload = {"name": "Ali Valiyev", "company": "Korzinka", "status": "active", "value": "1 mln"}
    row = data(client.put(f"{V1}/customers/{customer.pk}", payload, format="json"))["customer"]
    assert_customer(row)
    assert (row["name"], row["company"], row["status"], row["value"], row["email"]) == (
        "Ali Valiyev",
        "Korzinka",
        "active",
        "1 mln",
        customer.email,  # not sent: kept
    )


def test_customer_put_may_keep_a_status_of_another_surface(client, tenant):
    customer = CustomerFactory(tenant=tenant, status=CustomerStatus.BLOCKED)
    row = data(client.get(f"{V1}/customers/{customer.pk}"))["customer"]
    assert row["status"] == "blocked"
    saved = data(client.put(f"{V1}/customers/{customer.pk}", {**row, "name": "Renamed"}, format="json"))
    assert (saved["customer"]["status"], saved["customer"]["name"]) == ("blocked", "Renamed")
    refused = client.put(f"{V1}/customers/{customer.pk}", {"status": "suspended"}, format="json")
    assert list(error(refused, 400, "VALIDATION_ERROR")["details"]) == ["status"]


def test_customer_put_invalid_is_400_and_changes_nothing(client, tenant):
    customer = CustomerFactory(tenant=tenant, display_name="Ali")
    response = client.put(f"{V1}/customers/{customer.pk}", {"name": "New", "phone": "+1"}, format="json")
    assert list(error(response, 400, "VALIDATION_ERROR")["details"]) == ["phone"]
    customer.refresh_from_db()
    assert customer.display_name == "Ali"


def test_customer_put_unknown_is_404(client):
    error(client.put(f"{V1}/customers/999999", {"name": "x"}, format="json"), 404, "NOT_FOUND")


# --- DELETE /customers/:id -----------------------------------------------------------------------------


def test_customer_delete(client, tenant):
    customer = CustomerFactory(tenant=tenant)
    response = client.delete(f"{V1}/customers/{customer.pk}")
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Customer deleted successfully"}
    error(client.get(f"{V1}/customers/{customer.pk}"), 404, "NOT_FOUND")
    error(client.delete(f"{V1}/customers/{customer.pk}"), 404, "NOT_FOUND")


# --- GET /deals ----------------------------------------------------------------------------------------


def test_deals_list(client, tenant):
    customer = CustomerFactory(tenant=tenant, display_name="Aziza", company_name="Oqtepa")
    deals = [DealFactory(tenant=tenant, customer=customer, value="1500.50") for _ in range(3)]
    body = data(client.get(f"{V1}/deals"))
    assert set(body) == {"deals", "pagination"}
    assert body["pagination"] == {"currentPage": 1, "totalPages": 1, "totalItems": 3}
    assert [row["id"] for row in body["deals"]] == [deal.pk for deal in reversed(deals)]
    row = body["deals"][0]
    assert_deal(row)
    assert {k: row[k] for k in ("title", "description", "value", "status", "customerId", "customer")} == {
        "title": deals[-1].title,
        "description": "Office furniture",
        "value": 1500.5,
        "status": "new",
        "customerId": customer.pk,
        "customer": {"id": customer.pk, "name": "Aziza", "company": "Oqtepa"},
    }
    paged = data(client.get(f"{V1}/deals?limit=2&page=2"))
    assert paged["pagination"] == {"currentPage": 2, "totalPages": 2, "totalItems": 3}
    assert [row["id"] for row in paged["deals"]] == [deals[0].pk]


def test_deals_filters(client, tenant):
    one, two = CustomerFactory(tenant=tenant), CustomerFactory(tenant=tenant)
    new = DealFactory(tenant=tenant, customer=one)
    won = DealFactory(tenant=tenant, customer=one, status=DealStatus.COMPLETED)
    other = DealFactory(tenant=tenant, customer=two, status=DealStatus.COMPLETED)

    def ids(query):
        return [row["id"] for row in data(client.get(f"{V1}/deals?{query}"))["deals"]]

    assert ids("status=completed") == [other.pk, won.pk]
    assert ids(f"customerId={one.pk}") == [won.pk, new.pk]
    assert ids(f"customerId={one.pk}&status=completed") == [won.pk]
    assert ids("status=in_progress") == []


def test_deals_bad_status_filter_is_400(client):
    assert list(error(client.get(f"{V1}/deals?status=won"), 400, "VALIDATION_ERROR")["details"]) == ["status"]


# --- POST /deals ---------------------------------------------------------------------------------------


def test_deal_create(client, tenant, owner):
    customer = CustomerFactory(tenant=tenant, display_name="Aziza", company_name="Oqtepa")
    payload = {"title": "Ofis mebeli", "description": "20 stol", "value": 15000000.5, "customerId": customer.pk}
    body = data(client.post(f"{V1}/deals", payload, format="json"), 201)
    assert set(body) == {"deal"}
    row = body["deal"]
    assert_deal(row)
    assert {k: row[k] for k in ("title", "description", "value", "status", "customerId")} == {
        "title": "Ofis mebeli",
        "description": "20 stol",
        "value": 15000000.5,
        "status": "new",  # 003's default
        "customerId": customer.pk,
    }
    deal = Deal.objects.get(pk=row["id"])
    assert (deal.tenant_id, deal.created_by_id) == (tenant.pk, owner.user.pk)


def test_deal_create_in_a_given_status_and_value_as_text(client, tenant):
    customer = CustomerFactory(tenant=tenant)
    payload = {"title": "x", "value": "99.90", "status": "in_progress", "customerId": str(customer.pk)}
    row = data(client.post(f"{V1}/deals", payload, format="json"), 201)["deal"]
    assert (row["value"], row["status"]) == (99.9, "in_progress")
    row = data(client.post(f"{V1}/deals", {"title": "y", "customerId": customer.pk}, format="json"), 201)["deal"]
    assert row["value"] == 0


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"title"}),
        ({"title": "", "customerId": None}, {"title", "customerId"}),
        ({"title": "x", "value": -1}, {"value"}),
        ({"title": "x", "value": "abc"}, {"value"}),
        ({"title": "x", "value": 1.234}, {"value"}),
        ({"title": "x", "status": "won"}, {"status"}),
        ({"title": "x", "customerId": "abc"}, {"customerId"}),
        ({"title": "x", "customerId": True}, {"customerId"}),
        ({"title": "x" * 256}, {"title"}),
    ],
)
def test_deal_create_invalid_is_400_naming_the_fields(client, tenant, payload, fields):
    customer = CustomerFactory(tenant=tenant)
    payload = {"customerId": customer.pk, **payload}
    details = error(client.post(f"{V1}/deals", payload, format="json"), 400, "VALIDATION_ERROR")["details"]
    assert set(details) == fields
    assert not Deal.objects.exists()


def test_deal_create_without_a_customer_is_400(client):
    details = error(client.post(f"{V1}/deals", {"title": "x"}, format="json"), 400, "VALIDATION_ERROR")["details"]
    assert details == {"customerId": ["Обязательное поле."]}


# --- GET /deals/:id, PUT /deals/:id, DELETE /deals/:id ---------------------------------------------------


def test_deal_get(client, tenant):
    deal = DealFactory(tenant=tenant)
    row = data(client.get(f"{V1}/deals/{deal.pk}"))["deal"]
    assert_deal(row)
    assert row["id"] == deal.pk
    error(client.get(f"{V1}/deals/999999"), 404, "NOT_FOUND")


def test_deal_put_moves_it_to_completed(client, tenant):
    deal = DealFactory(tenant=tenant, title="Old", value=100)
    payload = {"title": "New", "value": 2500, "status": "completed"}
    row = data(client.put(f"{V1}/deals/{deal.pk}", payload, format="json"))["deal"]
    assert_deal(row)
    assert (row["title"], row["value"], row["status"], row["description"]) == (
        "New",
        2500,
        "completed",
        "Office furniture",
    )
    deal.refresh_from_db()
    assert deal.closed_at is not None


def test_deal_put_refused_move_is_400_and_changes_nothing(client, tenant):
    deal = DealFactory(tenant=tenant, status=DealStatus.CANCELLED, title="Old")
    response = client.put(f"{V1}/deals/{deal.pk}", {"title": "New", "status": "completed"}, format="json")
    assert error(response, 400, "VALIDATION_ERROR")["details"] == {
        "status": ["Сделку нельзя перевести из статуса «Отменена» в «Завершена»."]
    }
    deal.refresh_from_db()
    assert (deal.title, deal.status) == ("Old", DealStatus.CANCELLED)


def test_deal_delete(client, tenant):
    deal = DealFactory(tenant=tenant)
    response = client.delete(f"{V1}/deals/{deal.pk}")
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Deal deleted successfully"}
    assert not Deal.objects.filter(pk=deal.pk).exists()
    error(client.delete(f"{V1}/deals/{deal.pk}"), 404, "NOT_FOUND")


# --- GET /activities, POST /activities -----------------------------------------------------------------


def test_activities_list(client, tenant):
    customer = CustomerFactory(tenant=tenant, display_name="Aziza")
    call = ActivityFactory(tenant=tenant, customer=customer, type="call", description="Called")
    email = ActivityFactory(tenant=tenant, type="email")
    body = data(client.get(f"{V1}/activities"))
    assert set(body) == {"activities"}
    assert [row["id"] for row in body["activities"]] == [email.pk, call.pk]
    for row in body["activities"]:
        assert_activity(row)
    assert body["activities"][1] == {
        "id": call.pk,
        "type": "call",
        "description": "Called",
        "customerId": customer.pk,
        "customer": {"id": customer.pk, "name": "Aziza"},
        "createdAt": body["activities"][1]["createdAt"],
    }
    assert [r["id"] for r in data(client.get(f"{V1}/activities?type=call"))["activities"]] == [call.pk]
    assert [r["id"] for r in data(client.get(f"{V1}/activities?customerId={customer.pk}"))["activities"]] == [call.pk]
    assert [r["id"] for r in data(client.get(f"{V1}/activities?limit=1&page=2"))["activities"]] == [call.pk]
    assert list(error(client.get(f"{V1}/activities?type=fax"), 400, "VALIDATION_ERROR")["details"]) == ["type"]


def test_activity_create(client, tenant):
    customer = CustomerFactory(tenant=tenant, display_name="Aziza")
    payload = {"type": "meeting", "description": "Ofisda uchrashuv", "customerId": customer.pk}
    body = data(client.post(f"{V1}/activities", payload, format="json"), 201)
    assert set(body) == {"activity"}
    assert_activity(body["activity"])
    assert {k: body["activity"][k] for k in ("type", "description", "customerId", "customer")} == {
        "type": "meeting",
        "description": "Ofisda uchrashuv",
        "customerId": customer.pk,
        "customer": {"id": customer.pk, "name": "Aziza"},
    }


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"type", "description", "customerId"}),
        ({"type": "fax", "description": "x"}, {"type"}),
        ({"type": "call", "description": ""}, {"description"}),
        ({"type": "call", "description": "x", "customerId": 999999}, {"customerId"}),
    ],
)
def test_activity_create_invalid_is_400(client, tenant, payload, fields):
    customer = CustomerFactory(tenant=tenant)
    payload = {"customerId": customer.pk, **payload} if payload else payload
    details = error(client.post(f"{V1}/activities", payload, format="json"), 400, "VALIDATION_ERROR")["details"]
    assert set(details) == fields


def test_creating_and_closing_a_deal_adds_deal_activities(client, tenant):
    customer = CustomerFactory(tenant=tenant)
    deal = data(client.post(f"{V1}/deals", {"title": "Mebel", "customerId": customer.pk}, format="json"), 201)
    client.put(f"{V1}/deals/{deal['deal']['id']}", {"status": "completed"}, format="json")
    rows = data(client.get(f"{V1}/activities?type=deal&customerId={customer.pk}"))["activities"]
    assert [row["description"] for row in rows] == ["Сделка завершена: Mebel", "Сделка создана: Mebel"]


# --- GET /analytics/dashboard, GET /analytics/sales -------------------------------------------------------


def test_dashboard(client, tenant):
    customer = CustomerFactory(tenant=tenant, status=CustomerStatus.POTENTIAL, display_name="Aziza")
    CustomerFactory(tenant=tenant, status=CustomerStatus.ACTIVE)
    DealFactory(tenant=tenant, customer=customer, status=DealStatus.NEW)
    DealFactory(tenant=tenant, customer=customer, status=DealStatus.COMPLETED, value="1200.50")
    DealFactory(tenant=tenant, customer=customer, status=DealStatus.CANCELLED, value=99)
    body = data(client.get(f"{V1}/analytics/dashboard"))
    assert set(body) == {
        "totalCustomers",
        "monthlySales",
        "activeDeals",
        "conversionRate",
        "customersByStatus",
        "salesTrend",
    }
    assert (body["totalCustomers"], body["monthlySales"], body["activeDeals"], body["conversionRate"]) == (
        2,
        1200.5,
        1,
        50,
    )
    assert body["customersByStatus"] == {"active": 1, "potential": 1, "waiting": 0}
    assert len(body["salesTrend"]) == 12
    assert all(set(point) == {"month", "sales"} for point in body["salesTrend"])
    assert body["salesTrend"][-1]["sales"] == 1200.5
    assert all(isinstance(point["sales"], int | float) for point in body["salesTrend"])
    assert len(body["salesTrend"][-1]["month"]) == 7  # YYYY-MM


def test_sales(client, tenant):
    customer = CustomerFactory(tenant=tenant, display_name="Aziza")
    DealFactory(tenant=tenant, customer=customer, status=DealStatus.COMPLETED, value=300)
    DealFactory(tenant=tenant, customer=customer, status=DealStatus.COMPLETED, value=200)
    body = data(client.get(f"{V1}/analytics/sales?period=daily"))
    assert set(body) == {"totalSales", "salesByPeriod", "topCustomers"}
    assert body["totalSales"] == 500
    assert len(body["salesByPeriod"]) == 30
    assert all(set(row) == {"period", "sales", "deals"} for row in body["salesByPeriod"])
    assert body["salesByPeriod"][-1]["sales"] == 500 and body["salesByPeriod"][-1]["deals"] == 2
    assert isinstance(body["salesByPeriod"][0]["deals"], int)
    assert body["topCustomers"] == [{"customerId": customer.pk, "customerName": "Aziza", "totalValue": 500}]


def test_sales_with_dates_and_each_period(client):
    query = "startDate=2025-01-01&endDate=2025-12-31"
    assert len(data(client.get(f"{V1}/analytics/sales?{query}&period=daily"))["salesByPeriod"]) == 365
    weekly = data(client.get(f"{V1}/analytics/sales?{query}&period=weekly"))["salesByPeriod"]
    assert (weekly[0]["period"], weekly[-1]["period"], len(weekly)) == ("2025-W01", "2026-W01", 53)
    monthly = data(client.get(f"{V1}/analytics/sales?{query}"))["salesByPeriod"]  # monthly by default
    assert [row["period"] for row in monthly][:2] == ["2025-01", "2025-02"] and len(monthly) == 12
    yearly = data(client.get(f"{V1}/analytics/sales?{query}&period=yearly"))
    assert yearly == {
        "totalSales": 0,
        "salesByPeriod": [{"period": "2025", "sales": 0, "deals": 0}],
        "topCustomers": [],
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("startDate=2025-02-30", "startDate"),
        ("startDate=14.03.2025", "startDate"),
        ("endDate=yesterday", "endDate"),
        ("startDate=2025-03-02&endDate=2025-03-01", "endDate"),
        ("period=hourly", "period"),
        ("startDate=1990-01-01&endDate=2025-01-01&period=daily", "period"),
    ],
)
def test_sales_bad_input_is_400(client, query, field):
    details = error(client.get(f"{V1}/analytics/sales?{query}"), 400, "VALIDATION_ERROR")["details"]
    assert list(details) == [field]


# --- the documented error codes on every route ---------------------------------------------------------

ROUTES = [
    ("get", "/customers"),
    ("post", "/customers"),
    ("get", "/customers/1"),
    ("put", "/customers/1"),
    ("delete", "/customers/1"),
    ("get", "/deals"),
    ("post", "/deals"),
    ("get", "/deals/1"),
    ("put", "/deals/1"),
    ("delete", "/deals/1"),
    ("get", "/activities"),
    ("post", "/activities"),
    ("get", "/analytics/dashboard"),
    ("get", "/analytics/sales"),
    ("post", "/auth/logout"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_without_a_token_is_401_unauthorized(anon, method, path):
    response = getattr(anon, method)(f"{V1}{path}", {}, format="json")
    assert error(response, 401, "UNAUTHORIZED") == {
        "code": "UNAUTHORIZED",
        "message": "Учетные данные не были предоставлены.",
    }
    # with and without the trailing slash
    assert getattr(anon, method)(f"{V1}{path}/", {}, format="json").status_code == 401


def test_forbidden_is_403(tenant):
    cashier = Member(tenant, Role.CASHIER)
    customer = CustomerFactory(tenant=tenant)
    response = cashier.client.post(f"{V1}/deals", {"title": "x", "customerId": customer.pk}, format="json")
    assert error(response, 403, "FORBIDDEN") == {
        "code": "FORBIDDEN",
        "message": "Ваша роль не позволяет выполнить это действие.",
    }
    assert not Deal.objects.exists()


def test_unknown_routes_are_404_not_found(client, anon):
    for path in ("/nothing", "/customers/abc", "/deals/1/extra", "/analytics"):
        assert error(client.get(f"{V1}{path}"), 404, "NOT_FOUND") == {"code": "NOT_FOUND", "message": "Не найдено."}
    error(anon.post(f"{V1}/nothing", {}, format="json"), 404, "NOT_FOUND")


@pytest.mark.parametrize("path", ["/customers", "/deals", "/activities"])
@pytest.mark.parametrize("body", ['{"name": ', "not json", "[1, 2]", "null"])
def test_malformed_json_is_400_validation_error(client, path, body):
    response = client.post(f"{V1}{path}", body, content_type="application/json")
    error(response, 400, "VALIDATION_ERROR")


def test_throttling_is_429_too_many_requests(client, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/min"})
    client.get(f"{V1}/deals")
    client.get(f"{V1}/deals")
    response = client.get(f"{V1}/deals")
    found = error(response, 429, "TOO_MANY_REQUESTS")
    assert found["message"].startswith("Слишком много запросов.")
    assert int(response["Retry-After"]) > 0


def test_server_error_is_500_internal_error(client, monkeypatch):
    from savdo.crm import selectors

    def crash(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "crm_dashboard", crash)
    client.raise_request_exception = False
    response = client.get(f"{V1}/analytics/dashboard")
    assert error(response, 500, "INTERNAL_ERROR") == {"code": "INTERNAL_ERROR", "message": "Внутренняя ошибка сервера."}


def test_messages_follow_accept_language(client):
    response = client.get(f"{V1}/deals/999999", HTTP_ACCEPT_LANGUAGE="uz")
    assert error(response, 404, "NOT_FOUND")["message"] == "Kelishuv topilmadi."
    response = client.get(f"{V1}/deals/999999", HTTP_ACCEPT_LANGUAGE="en")
    assert error(response, 404, "NOT_FOUND")["message"] == "Deal not found."


# --- the whole flow of the document, from a fresh registration -----------------------------------------


def test_the_documents_flow(anon):
    register = anon.post(
        "/api/users/auth/register/",
        {
            "username": "dilnoza",
            "email": "Dilnoza@Example.com",
            "password": "S4vdo-Crm-Pass!",
            "password2": "S4vdo-Crm-Pass!",
            "first_name": "Dilnoza",
            "last_name": "Karimova",
        },
        format="json",
    )
    assert register.status_code == 201, register.content
    login = data(anon.post(f"{V1}/auth/login", {"email": "dilnoza@example.com", "password": "S4vdo-Crm-Pass!"}))
    assert login["user"]["role"] == "owner" and login["user"]["name"] == "Dilnoza Karimova"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login['token']}")

    customer = data(client.post(f"{V1}/customers", {"name": "Aziza", "email": "aziza@example.com"}), 201)["customer"]
    deal = data(client.post(f"{V1}/deals", {"title": "Mebel", "value": 4200, "customerId": customer["id"]}), 201)
    deal_id = deal["deal"]["id"]
    data(client.post(f"{V1}/activities", {"type": "call", "description": "Narx", "customerId": customer["id"]}), 201)
    assert data(client.get(f"{V1}/analytics/dashboard"))["activeDeals"] == 1
    data(client.put(f"{V1}/deals/{deal_id}", {"status": "in_progress"}))
    data(client.put(f"{V1}/deals/{deal_id}", {"status": "completed"}))
    board = data(client.get(f"{V1}/analytics/dashboard"))
    assert (board["monthlySales"], board["activeDeals"], board["conversionRate"], board["salesTrend"][-1]["sales"]) == (
        4200,
        0,
        100,
        4200,
    )
    sales = data(client.get(f"{V1}/analytics/sales?period=daily"))
    assert sales["totalSales"] == 4200
    assert (sales["salesByPeriod"][-1]["sales"], sales["salesByPeriod"][-1]["deals"]) == (4200, 1)
    assert sales["topCustomers"] == [{"customerId": customer["id"], "customerName": "Aziza", "totalValue": 4200}]

    logout = client.post(f"{V1}/auth/logout")
    assert logout.status_code == 200 and logout.json() == {"success": True, "message": "Successfully logged out"}
    error(client.get(f"{V1}/deals"), 401, "UNAUTHORIZED")
    assert client.get("/api/users/profile/").status_code == 401  # refused on every surface
    error(anon.post(f"{V1}/auth/refresh", {"refreshToken": login["refreshToken"]}, format="json"), 401, "UNAUTHORIZED")
