"""One till under concurrency, with real threads against PostgreSQL: scans lock the pending sale (the
shift only to create it), so simultaneous scans lose no line and a shift closing under them leaves
nothing pending."""

from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from savdo.sales.models import CashSession, Sale, SaleItem
from savdo.tenancy.models import Role
from tests.catalog.factories import ProductFactory
from tests.conftest import Member
from tests.inventory.factories import receive
from tests.sales.factories import open_shift
from tests.sales.test_concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (row locks, real concurrency)"),
]

SALES = "/api/sales/sales/"
D = Decimal


def scan_call(member, shift, product):
    body = {"session": shift.pk, "product": product.pk}
    return lambda: member.client.post(f"{SALES}scan-item/", body, format="json")


def test_simultaneous_scans_at_one_till_all_land_in_one_pending_sale(tenant):
    member = Member(tenant, Role.CASHIER)
    shift = open_shift(member.membership)
    products = [ProductFactory(tenant=tenant, sale_price=D("1500")) for _ in range(4)]
    for product in products:
        receive(product, 100)

    responses = race([scan_call(member, shift, products[i % 4]) for i in range(20)])

    assert [r.status_code for r in responses] == [200] * 20
    [sale] = Sale.objects.filter(session=shift, status="pending")
    assert {r.json()["data"]["id"] for r in responses} == {sale.pk}
    lines = SaleItem.objects.filter(sale=sale)
    assert sorted((line.product_id, line.quantity) for line in lines) == [(p.pk, D("5")) for p in products]
    assert (sale.items_quantity, sale.total_amount) == (D("20"), D("30000"))
    # each answer shows the sale as its own scan left it: one more item each time
    assert sorted(D(r.json()["data"]["items_quantity"]) for r in responses) == [D(n) for n in range(1, 21)]


def test_a_shift_closing_under_scans_leaves_no_pending_sale(tenant):
    member = Member(tenant, Role.CASHIER)
    shift = open_shift(member.membership)
    product = ProductFactory(tenant=tenant, sale_price=D("1000"))
    receive(product, 100)
    close_body = {"actual_cash": 0, "cancel_pending": True}

    def close():
        return member.client.post(f"/api/sales/sessions/{shift.pk}/close/", close_body, format="json")

    responses = race([scan_call(member, shift, product) for _ in range(12)] + [close])

    assert responses[-1].status_code == 200, responses[-1].content
    statuses = Counter(r.status_code for r in responses[:-1])
    assert set(statuses) <= {200, 400}, statuses
    assert CashSession.objects.get(pk=shift.pk).status == "closed"
    assert not Sale.objects.filter(session=shift, status="pending").exists()
    landed = sum((line.quantity for line in SaleItem.objects.filter(sale__session=shift)), D("0"))
    assert landed == statuses[200]  # every accepted scan is in the (cancelled) sale, no other
