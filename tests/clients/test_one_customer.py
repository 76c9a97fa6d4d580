"""A client of document 002 is the customer every surface shows: created here, it is in the retail
list with the same id and name; a sale at the till moves its statistics here at once, with the
answer caches warm; a manual adjustment is what the retail surface shows and checkout adds to."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from savdo.customers.models import Customer
from savdo.tenancy.models import Role
from tests.catalog.factories import ProductFactory
from tests.conftest import Member
from tests.customers.factories import CustomerFactory
from tests.inventory.factories import receive
from tests.sales.factories import open_shift, sell
from tests.sqlcount import work

RETAIL = "/api/customers/customers/"


def _warm(client, path):
    """Read until a repeat is served from the answer cache (no query), as a busy store's is."""
    client.get(path)
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(path).json()
    # Only the data versions the answer is keyed on are read (and, on PostgreSQL, the connection
    # bound to the store for row-level security).
    assert work(ctx.captured_queries) == [], path
    return body


def test_a_client_created_here_is_in_the_retail_list(tenant):
    owner = Member(tenant, Role.OWNER)
    created = owner.client.post("/api/clients", {"name": "Иван Петров", "phone": "+79001234567"}, format="json")
    assert created.status_code == 201
    client_id = created.json()["id"]
    rows = owner.client.get(RETAIL).json()["results"]
    [row] = [r for r in rows if r["id"] == client_id]
    assert (row["full_name"], row["name"], row["first_name"], row["last_name"]) == (
        "Иван Петров",
        "Иван Петров",
        "Иван",
        "Петров",
    )
    assert row["phone"] == "+79001234567"


def test_a_retail_customer_is_a_client_here(tenant):
    owner = Member(tenant, Role.OWNER)
    customer = CustomerFactory(tenant=tenant, first_name="Ali", last_name="Valiyev", phone="+998901234567")
    [row] = owner.client.get("/api/clients").json()["clients"]
    assert (row["id"], row["name"], row["phone"], row["clientType"]) == (
        customer.pk,
        "Valiyev Ali",
        "+998901234567",
        "individual",
    )


def test_a_sale_moves_the_statistics_here_at_once_with_warm_caches(tenant):
    owner = Member(tenant, Role.OWNER)
    cashier = Member(tenant, Role.CASHIER)
    created = owner.client.post("/api/clients", {"name": "Иван Петров", "phone": "+79001234567"}, format="json")
    client_id = created.json()["id"]
    detail = f"/api/clients/{client_id}"
    listing = "/api/clients?sortBy=totalRevenue"
    retail_detail = f"{RETAIL}{client_id}/"

    # Warm every cache there is: the retail answers, cached list totals, principals.
    _warm(owner.client, RETAIL)
    _warm(owner.client, retail_detail)
    assert _warm(owner.client, detail)["totalRevenue"] == "0.00"
    assert _warm(owner.client, listing)["clients"][0]["purchaseCount"] == 0
    stats = _warm(owner.client, "/api/clients/stats")
    assert stats["revenue"] == {"total": 0.0, "average": 0.0}

    milk = ProductFactory(tenant=tenant, sale_price=Decimal("12000"), cost_price=Decimal("9000"))
    receive(milk, 10)
    shift = open_shift(cashier.membership)
    customer = Customer.objects.get(pk=client_id)
    sell(cashier.membership, [(milk, 2)], session=shift, customer=customer)

    body = owner.client.get(detail).json()
    assert (body["totalRevenue"], body["purchaseCount"], body["averageCheck"]) == ("24000.00", 1, "24000.00")
    assert body["lastPurchaseDate"] is not None
    row = owner.client.get(listing).json()["clients"][0]
    assert (row["id"], row["totalRevenue"], row["purchaseCount"]) == (client_id, "24000.00", 1)
    stats = owner.client.get("/api/clients/stats").json()
    assert stats["revenue"] == {"total": 24000.0, "average": 24000.0}
    assert stats["topClients"][0]["id"] == client_id
    retail = owner.client.get(retail_detail).json()
    assert (retail["total_purchases"], retail["total_purchases_count"]) == (24000.0, 1)


def test_a_manual_adjustment_is_what_every_surface_shows_and_checkout_adds_to(tenant):
    owner = Member(tenant, Role.OWNER)
    cashier = Member(tenant, Role.CASHIER)
    customer = CustomerFactory(tenant=tenant)
    _warm(owner.client, f"{RETAIL}{customer.pk}/")
    response = owner.client.put(
        f"/api/clients/{customer.pk}", {"totalRevenue": 150000, "purchaseCount": 25}, format="json"
    )
    assert response.status_code == 200
    retail = owner.client.get(f"{RETAIL}{customer.pk}/").json()
    assert (retail["total_purchases"], retail["total_purchases_count"], retail["average_check"]) == (
        150000.0,
        25,
        6000.0,
    )
    milk = ProductFactory(tenant=tenant, sale_price=Decimal("12000"))
    receive(milk, 10)
    sell(cashier.membership, [(milk, 1)], session=open_shift(cashier.membership), customer=customer)
    body = owner.client.get(f"/api/clients/{customer.pk}").json()
    assert (body["totalRevenue"], body["purchaseCount"]) == ("162000.00", 26)


def test_renaming_a_clients_manager_shows_at_once_in_warm_answers(tenant):
    owner = Member(tenant, Role.OWNER)
    manager = Member(tenant, Role.MANAGER)
    created = owner.client.post(
        "/api/clients", {"name": "Иван Петров", "assignedUserId": manager.user.pk}, format="json"
    ).json()
    detail, listing = f"/api/clients/{created['id']}", "/api/clients"
    assert _warm(owner.client, detail)["assignedUser"]["email"] == manager.user.email
    _warm(owner.client, listing)

    manager.user.first_name, manager.user.last_name, manager.user.email = "Нодира", "Каримова", "n@shop.uz"
    manager.user.save()

    assert owner.client.get(detail).json()["assignedUser"]["name"] == "Нодира Каримова"
    row = owner.client.get(listing).json()["clients"][0]
    assert row["assignedUser"] == {"id": manager.user.pk, "name": "Нодира Каримова", "email": "n@shop.uz"}
    # signing in saves the user too, and renews nothing
    _warm(owner.client, detail)
    manager.user.save(update_fields=["last_login"])
    with CaptureQueriesContext(connection) as ctx:
        owner.client.get(detail)
    assert work(ctx.captured_queries) == []
