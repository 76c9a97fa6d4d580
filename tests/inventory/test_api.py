"""Stock on the retail surface: receive, adjust, the ledger and batches (next to /api/products/)."""

from datetime import date
from decimal import Decimal

import pytest

from savdo.inventory.models import Batch, StockBalance, StockMovement
from tests.catalog.factories import ProductFactory
from tests.generic import EndpointChecks
from tests.inventory.factories import receive

RECEIVE = "/api/products/stock/receive/"
ADJUST = "/api/products/stock/adjust/"
MOVEMENTS = "/api/products/stock-movements/"
BATCHES = "/api/products/batches/"


class TestMovementEndpoints(EndpointChecks):
    list_path = MOVEMENTS
    detail_path = MOVEMENTS + "{pk}/"
    model = StockMovement
    forbidden = [("get", MOVEMENTS, "agent")]

    def make_object(self, tenant):
        return receive(ProductFactory(tenant=tenant), 3, batch_number="M-1")


class TestBatchEndpoints(EndpointChecks):
    list_path = BATCHES
    detail_path = BATCHES + "{pk}/"
    model = Batch
    forbidden = [("get", BATCHES, "agent")]

    def make_object(self, tenant):
        return receive(ProductFactory(tenant=tenant), 3, batch_number="B-1").batch


class TestReceiveEndpoint(EndpointChecks):
    list_path = None
    extra_paths: list = []
    model = StockMovement
    forbidden = [("post", RECEIVE, "cashier"), ("post", ADJUST, "cashier"), ("post", RECEIVE, "agent")]

    def make_object(self, tenant):
        return receive(ProductFactory(tenant=tenant), 1)

    def test_anonymous_is_401(self, anon, tenant):
        product = ProductFactory(tenant=tenant)
        for path in (RECEIVE, ADJUST, RECEIVE.rstrip("/")):
            assert anon.post(path, {"product": product.pk, "quantity": 1}, format="json").status_code == 401


def test_receive_into_a_new_batch(manager):
    product = ProductFactory(tenant=manager.tenant, cost_price=Decimal("900"))
    response = manager.client.post(
        RECEIVE,
        {
            "product": product.pk,
            "quantity": "12.5",
            "batch_number": "L-2030",
            "expiry_date": "2030-06-01",
            "cost_price": 950,
            "reason": "Supplier invoice 77",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["message"]) == ("success", "Товар оприходован")
    data = body["data"]
    assert (data["product"], data["stock_quantity"], data["batch_quantity"]) == (product.pk, "12.500", "12.500")
    movement = data["movement"]
    assert (movement["kind"], movement["quantity"], movement["balance_after"], movement["unit_cost"]) == (
        "receipt",
        "12.500",
        "12.500",
        "950.00",
    )
    assert (movement["batch_number"], movement["reason"], movement["user"]) == (
        "L-2030",
        "Supplier invoice 77",
        manager.user.pk,
    )
    batch = Batch.objects.get(product=product)
    assert (batch.expiry_date, batch.cost_price) == (date(2030, 6, 1), Decimal("950.00"))


def test_receive_into_an_existing_batch_and_unbatched(manager):
    product = ProductFactory(tenant=manager.tenant)
    batch = receive(product, 2, batch_number="X").batch
    into = manager.client.post(RECEIVE, {"product": product.pk, "quantity": 3, "batch": batch.pk}, format="json")
    assert into.json()["data"]["batch_quantity"] == "5.000"
    loose = manager.client.post(RECEIVE, {"product": product.pk, "quantity": 1}, format="json")
    assert (loose.json()["data"]["stock_quantity"], loose.json()["data"]["batch_quantity"]) == ("6.000", None)


def test_receive_refusals_change_nothing(manager, other_tenant):
    product = ProductFactory(tenant=manager.tenant)
    other_product = ProductFactory(tenant=manager.tenant)
    foreign_batch = receive(ProductFactory(tenant=other_tenant), 1, batch_number="F").batch
    wrong_batch = receive(other_product, 1, batch_number="W").batch
    before = StockMovement.objects.count()
    cases = [
        ({"product": product.pk, "quantity": 0}, "quantity"),
        ({"product": product.pk, "quantity": -1}, "quantity"),
        ({"product": product.pk}, "quantity"),
        ({"quantity": 1}, "product"),
        ({"product": 10**12, "quantity": 1}, "product"),
        ({"product": product.pk, "quantity": 1, "batch": foreign_batch.pk}, "batch"),
        ({"product": product.pk, "quantity": 1, "batch": wrong_batch.pk}, "batch"),
        ({"product": product.pk, "quantity": 1, "batch": wrong_batch.pk, "batch_number": "Z"}, "batch_number"),
        ({"product": product.pk, "quantity": 1, "expiry_date": "soon", "batch_number": "Z"}, "expiry_date"),
    ]
    for body, field in cases:
        response = manager.client.post(RECEIVE, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json(), (body, response.json())
    assert StockMovement.objects.count() == before
    assert not StockBalance.objects.filter(product=product).exclude(quantity=0).exists()


def test_adjust_after_a_count(manager):
    product = ProductFactory(tenant=manager.tenant)
    receive(product, 10)
    response = manager.client.post(
        ADJUST, {"product": product.pk, "counted_quantity": 8, "reason": "Inventory count"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["message"] == "Остаток скорректирован"
    assert response.json()["data"]["movement"]["quantity"] == "-2.000"
    assert response.json()["data"]["stock_quantity"] == "8.000"
    same = manager.client.post(ADJUST, {"product": product.pk, "counted_quantity": 8, "reason": "again"}, format="json")
    assert same.status_code == 200
    assert same.json()["data"]["movement"] is None
    for body, field in [
        ({"product": product.pk, "counted_quantity": 8}, "reason"),
        ({"product": product.pk, "counted_quantity": -1, "reason": "x"}, "counted_quantity"),
    ]:
        refused = manager.client.post(ADJUST, body, format="json")
        assert refused.status_code == 400
        assert field in refused.json()
    assert StockBalance.objects.get(product=product).quantity == Decimal("8")


def test_movement_list_filters(owner):
    milk = ProductFactory(tenant=owner.tenant)
    tea = ProductFactory(tenant=owner.tenant)
    first = receive(milk, 5, user=owner.user)
    second = receive(tea, 2, batch_number="T")

    def ids(query):
        response = owner.client.get(f"{MOVEMENTS}?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [second.pk, first.pk]
    assert ids(f"product={milk.pk}") == [first.pk]
    assert ids(f"batch={second.batch_id}") == [second.pk]
    assert ids(f"user={owner.user.pk}") == [first.pk]
    assert ids("kind=receipt") == [second.pk, first.pk]
    assert ids("kind=sale") == []
    assert ids("date_from=2000-01-01&date_to=2999-01-01") == [second.pk, first.pk]
    assert ids("date_to=2000-01-01") == []
    assert owner.client.get(f"{MOVEMENTS}?kind=theft").status_code == 400


def test_batches_by_product(owner):
    product = ProductFactory(tenant=owner.tenant)
    batch = receive(product, 4, batch_number="B-9", expiry_date=date(2031, 1, 1)).batch
    receive(ProductFactory(tenant=owner.tenant), 1, batch_number="OTHER")
    rows = owner.client.get(f"{BATCHES}?product={product.pk}").json()["results"]
    assert [(r["id"], r["batch_number"], r["quantity"], r["expiry_date"]) for r in rows] == [
        (batch.pk, "B-9", "4.000", "2031-01-01")
    ]


@pytest.mark.parametrize("path", [MOVEMENTS.rstrip("/"), BATCHES.rstrip("/")])
def test_without_trailing_slash(owner, path):
    assert owner.client.get(path).status_code == 200


def test_stock_endpoints_are_in_the_openapi_schema(anon):
    schema = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = {p.rstrip("/") for p in schema["paths"]}
    for path in (RECEIVE, ADJUST, MOVEMENTS, BATCHES):
        assert path.rstrip("/") in paths
