"""Document 000 §5 (the purchase totals in search_by_phone), §6 (purchase history) and §7 (stats), from
real sales rung up at the till."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from unittest import mock

import pytest

from savdo.sales import services
from savdo.sales.services import RefundLine
from tests.catalog.factories import ProductFactory
from tests.inventory.factories import receive
from tests.sales.factories import make_customer, open_shift, sell

D = Decimal
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+05:00$")


@pytest.fixture
def ivan(cashier):
    """Иван Петров bought milk and bread on 17 November 2025 at 18:30 Tashkent time (150000.00)."""
    tenant = cashier.tenant
    customer = make_customer(tenant, first_name="Иван", last_name="Петров", phone="+998901234567")
    milk = ProductFactory(tenant=tenant, name="Молоко 3.2%", sale_price=D("12000"))
    bread = ProductFactory(tenant=tenant, name="Хлеб белый", sale_price=D("9000"))
    receive(milk, 100)
    receive(bread, 100)
    open_shift(cashier.membership)
    with mock.patch("django.utils.timezone.now", return_value=datetime(2025, 11, 17, 13, 30, tzinfo=UTC)):
        sale = sell(cashier.membership, [(milk, 5), (bread, 10)], customer=customer)
    return customer, sale, milk, bread


def test_6_purchase_history(ivan, cashier):
    customer, sale, _milk, _bread = ivan
    response = cashier.client.get(f"/api/customers/customers/{customer.pk}/purchase-history/")
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "results": [
            {
                "id": sale.pk,
                "sale_number": sale.receipt_number,
                "created_at": "2025-11-17T18:30:00+05:00",
                "total_amount": 150000.00,
                "items": [
                    {"product_name": "Молоко 3.2%", "quantity": 5, "price": 12000.00, "total": 60000.00},
                    {"product_name": "Хлеб белый", "quantity": 10, "price": 9000.00, "total": 90000.00},
                ],
            }
        ],
    }
    # money is written as the document writes it: a number with two places
    assert b'"total_amount":150000.00' in response.content
    assert b'"price":12000.00' in response.content
    assert b'"quantity":5,' in response.content


def test_6_purchase_history_for_a_period(ivan, cashier):
    customer, sale, milk, _bread = ivan
    with mock.patch("django.utils.timezone.now", return_value=datetime(2025, 12, 2, 9, 0, tzinfo=UTC)):
        december = sell(cashier.membership, [(milk, 1)], customer=customer)
    path = f"/api/customers/customers/{customer.pk}/purchase-history/"
    november = cashier.client.get(f"{path}?date_from=2025-11-01&date_to=2025-11-30").json()
    assert (november["count"], [r["id"] for r in november["results"]]) == (1, [sale.pk])
    everything = cashier.client.get(path).json()
    assert [r["id"] for r in everything["results"]] == [december.pk, sale.pk]  # newest first
    assert all(TIMESTAMP.match(r["created_at"]) for r in everything["results"])
    assert cashier.client.get(f"{path}?date_from=17.11.2025").status_code == 400


def test_6_purchase_history_shows_what_was_kept_after_refunds(ivan, cashier, manager):
    customer, sale, milk, _bread = ivan
    milk_line = sale.items.get(product=milk)
    services.sale_refund(actor=manager.membership, sale=sale, lines=[RefundLine(milk_line.pk, D("5"))])
    body = cashier.client.get(f"/api/customers/customers/{customer.pk}/purchase-history/").json()
    assert body["results"][0]["total_amount"] == 90000.00
    assert [i["product_name"] for i in body["results"][0]["items"]] == ["Хлеб белый"]
    services.sale_refund(actor=manager.membership, sale=sale)
    assert cashier.client.get(f"/api/customers/customers/{customer.pk}/purchase-history/").json() == {
        "count": 0,
        "results": [],
    }


def test_7_stats(ivan, cashier):
    customer, _sale, _milk, _bread = ivan
    response = cashier.client.get(f"/api/customers/customers/{customer.pk}/stats/")
    assert response.status_code == 200
    assert response.json() == {
        "customer": {"id": customer.pk, "full_name": "Петров Иван", "phone": "+998901234567"},
        "purchases": {
            "total_amount": 150000.00,
            "total_count": 1,
            "last_purchase": "2025-11-17T18:30:00+05:00",
            "loyalty_points": 1500.00,
        },
    }
    assert b'"total_amount":150000.00' in response.content


def test_7_stats_of_a_customer_without_purchases(cashier):
    customer = make_customer(cashier.tenant, first_name="Анна", last_name="")
    response = cashier.client.get(f"/api/customers/customers/{customer.pk}/stats/")
    assert response.json()["purchases"] == {
        "total_amount": 0.00,
        "total_count": 0,
        "last_purchase": None,
        "loyalty_points": 0.00,
    }


def test_5_search_by_phone_totals_come_from_real_sales(ivan, cashier):
    customer, _sale, milk, _bread = ivan
    sell(cashier.membership, [(milk, 1)], customer=customer)
    response = cashier.client.get("/api/customers/customers/search_by_phone/?phone=+998901234567")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["total_purchases"], data["total_purchases_count"], data["loyalty_points"]) == (162000.0, 2, 1620.0)


def test_not_found_is_documented_shape(cashier, other_tenant):
    foreign = make_customer(other_tenant)
    for suffix in ("purchase-history/", "stats/"):
        response = cashier.client.get(f"/api/customers/customers/{foreign.pk}/{suffix}")
        assert response.status_code == 404
        assert response.json() == {"status": "error", "message": "Покупатель не найден"}
