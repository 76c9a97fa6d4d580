"""The till's commands answer with the sale they hold, exactly as a fresh read renders it, in few queries.

scan-item, add-item, remove-item, set-customer and checkout render the sale the service returns with
its lines and payments attached (no read after the write); these tests compare every answer, byte for
byte, with `PosSaleSerializer` over `sale_list` (what `retrieve` shows and what the views used to
re-read)."""

import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from savdo.api.retail.pos.serializers import PosSaleSerializer
from savdo.core import rls
from savdo.sales.models import DailyProductSales, DailySales
from savdo.sales.selectors import sale_list
from tests.catalog.factories import ProductFactory
from tests.customers.factories import CustomerGroupFactory
from tests.inventory.factories import receive
from tests.sales.factories import make_customer

SALES = "/api/sales/sales/"
SESSIONS = "/api/sales/sessions/"
D = Decimal


def fresh(tenant, sale_id) -> str:
    with timezone.override(ZoneInfo(tenant.time_zone)):
        return json.dumps(PosSaleSerializer(sale_list(tenant=tenant).get(pk=sale_id)).data)


def answer(response, tenant) -> dict:
    """The answer's sale, asserted equal (same keys, same order, same text) to a fresh read."""
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert json.dumps(data) == fresh(tenant, data["id"])
    return data


@pytest.fixture
def till(cashier):
    tenant = cashier.tenant
    tenant.time_zone = "Asia/Tashkent"
    tenant.loyalty_percent = D("2.5")
    tenant.save()
    milk = ProductFactory(tenant=tenant, name="Milk", sale_price=D("12000"), tax_rate=D("12"))
    rice = ProductFactory(tenant=tenant, name="Rice", unit="kg", sale_price=D("15333.33"), tax_rate=D("0"))
    receive(milk, 50)
    receive(rice, 40, batch_number="R-1", cost_price="9000.50")
    session = cashier.client.post(f"{SESSIONS}open/", {"opening_balance": 0}, format="json").json()["data"]["id"]
    group = CustomerGroupFactory(tenant=tenant, discount_percent=D("7.5"))
    customer = make_customer(tenant, group=group, discount_percent=D("3"), first_name="Aziza", last_name="Karimova")
    return cashier, session, milk, rice, customer


def test_every_till_command_answers_what_a_fresh_read_shows(till, manager):
    cashier, session, milk, rice, customer = till
    tenant, client = cashier.tenant, cashier.client
    batch = rice.batches.get()

    def scan(member=cashier, **body):
        return member.client.post(f"{SALES}scan-item/", {"session": session, **body}, format="json")

    sale = answer(scan(product=milk.pk), tenant)  # creates the pending sale
    sale_id = sale["id"]
    assert answer(scan(product=milk.pk, quantity=2), tenant)["items_quantity"] == "3.000"  # merges the line
    sale = answer(scan(product=rice.pk, quantity="1.375", batch=batch.pk, customer=customer.pk), tenant)
    assert sale["customer_name"] == "Karimova Aziza" and sale["discount_percent"] == "7.50"
    answer(scan(barcode=milk.barcode), tenant)
    answer(scan(manager, product=rice.pk, quantity="0.5"), tenant)  # a manager at the cashier's till
    path = f"{SALES}{sale_id}/"
    answer(client.post(path + "add-item/", {"product": milk.pk, "quantity": 1}, format="json"), tenant)
    sale = answer(client.post(path + "set-customer/", {"customer": None}, format="json"), tenant)
    assert sale["customer"] is None and sale["discount_percent"] == "0.00"
    answer(client.post(path + "set-customer/", {"phone": customer.phone}, format="json"), tenant)
    line = sale["items"][0]["id"]
    answer(client.delete(path + "remove-item/", {"item_id": line, "quantity": 1}, format="json"), tenant)
    last = sale["items"][-1]["id"]
    sale = answer(client.delete(path + "remove-item/", {"item_id": last}, format="json"), tenant)
    total = D(sale["total_amount"])
    body = {
        "payments": [
            {"payment_method": "cash", "amount": str(total - 1000), "received_amount": str(total)},
            {"payment_method": "card", "amount": "1000.00", "card_last4": "4242", "transaction_id": "T-1"},
        ]
    }
    first = client.post(path + "checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="till-1")
    done = answer(first, tenant)
    assert done["status"] == "completed" and [p["payment_method"] for p in done["payments"]] == ["cash", "card"]
    assert done["payments"][0]["change_amount"] == "1000.00" and done["loyalty_points"] != "0.00"
    replay = client.post(path + "checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="till-1")
    assert replay["Idempotent-Replayed"] == "true" and replay.content == first.content


def test_a_cashier_scanning_without_a_session_and_a_checkout_without_a_key(till):
    cashier, _session, milk, _rice, _customer = till
    tenant = cashier.tenant
    sale = answer(cashier.client.post(f"{SALES}scan-item/", {"product": milk.pk}, format="json"), tenant)
    body = {"payments": [{"payment_method": "cash", "amount": sale["total_amount"]}]}
    answer(cashier.client.post(f"{SALES}{sale['id']}/checkout/", body, format="json"), tenant)


RLS_BINDING = 1 if rls.enabled(connection) else 0
DEFERRED_CHECKS = 1 if connection.vendor == "postgresql" else 0  # SET CONSTRAINTS ALL IMMEDIATE


def test_a_scan_into_an_open_sale_and_a_checkout_take_few_queries(till):
    cashier, session, milk, rice, _customer = till
    products = [milk, rice] + [ProductFactory(tenant=cashier.tenant) for _ in range(3)]
    for product in products[2:]:
        receive(product, 10)
    scan = {"session": session, "product": milk.pk}
    sale = cashier.client.post(f"{SALES}scan-item/", scan, format="json").json()["data"]
    for product in products[1:]:
        with CaptureQueriesContext(connection) as queries:
            response = cashier.client.post(f"{SALES}scan-item/", {**scan, "product": product.pk}, format="json")
        assert response.status_code == 200
        # BEGIN, the sale locked (with its shift), its lines, the product, the line written, the totals,
        # the cart's commit without a flush (PostgreSQL), the foreign keys checked and the sales data
        # version written (savdo/core/versions.py), COMMIT; the token's
        # generation (principal cache); and on PostgreSQL the request's binding to its store for
        # row-level security (savdo/core/rls.py)
        assert len(queries) <= 10 + RLS_BINDING + DEFERRED_CHECKS, [q["sql"] for q in queries]
    total = response.json()["data"]["total_amount"]
    body = {"payments": [{"payment_method": "cash", "amount": total}]}
    with CaptureQueriesContext(connection) as queries:
        response = cashier.client.post(f"{SALES}{sale['id']}/checkout/", body, format="json")
    assert response.status_code == 200
    # the sale, BEGIN, the sale locked, its lines, balances and batches locked and moved (3), movements,
    # line costs, allocations, payments, the sale, two rollup upserts, the change-log row, the foreign
    # keys checked and the data versions written, COMMIT (on PostgreSQL everything after the stock
    # locks goes out with the COMMIT: savdo/core/batching.py); the token's generation (principal cache)
    assert len(queries) <= 20, [q["sql"] for q in queries]


def test_rollup_upsert_adds_to_existing_rows_and_inserts_new_ones_in_one_go(till):
    cashier, session, milk, rice, _customer = till

    def sell(lines):
        for product, qty in lines:
            body = {"session": session, "product": product.pk, "quantity": qty}
            sale = cashier.client.post(f"{SALES}scan-item/", body, format="json").json()["data"]
        body = {"payments": [{"payment_method": "card", "amount": sale["total_amount"]}]}
        assert cashier.client.post(f"{SALES}{sale['id']}/checkout/", body, format="json").status_code == 200

    sell([(milk, 2)])
    sell([(milk, 1), (rice, "0.5")])
    rows = {r.product_id: r for r in DailyProductSales.objects.filter(tenant=cashier.tenant)}
    assert (rows[milk.pk].quantity, rows[milk.pk].revenue, rows[milk.pk].sales_count) == (D("3"), D("36000"), 2)
    assert (rows[milk.pk].cost, rows[milk.pk].profit) == (D("24000"), D("12000"))
    assert (rows[rice.pk].quantity, rows[rice.pk].revenue, rows[rice.pk].sales_count) == (D("0.5"), D("7666.67"), 1)
    assert (rows[rice.pk].cost, rows[rice.pk].profit) == (D("4500.25"), D("3166.42"))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL always returns rows; Django needs it to")
def test_without_returning_statements_receipt_numbers_and_customer_days_still_count(till, monkeypatch):
    """Databases that cannot return rows from INSERT/UPDATE (SQLite before 3.35) take the ORM path."""
    cashier, session, milk, _rice, customer = till
    monkeypatch.setattr(type(connection.features), "can_return_columns_from_insert", False)
    numbers = []
    for _ in range(2):
        body = {"session": session, "product": milk.pk, "customer": customer.pk}
        sale = cashier.client.post(f"{SALES}scan-item/", body, format="json").json()["data"]
        pay = {"payments": [{"payment_method": "cash", "amount": sale["total_amount"]}]}
        assert cashier.client.post(f"{SALES}{sale['id']}/checkout/", pay, format="json").status_code == 200
        numbers.append(int(sale["receipt_number"].rsplit("-", 1)[1]))
    assert numbers[1] == numbers[0] + 1
    day = DailySales.objects.get(tenant=cashier.tenant)
    assert (day.sales_count, day.unique_customers) == (2, 1)
