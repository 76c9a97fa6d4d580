"""Money and stock under concurrency, with real threads against PostgreSQL (skipped on SQLite, whose
IMMEDIATE transactions serialise writers anyway).

Each worker thread has its own database connection and goes through the real API."""

import contextlib
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from savdo.inventory.models import StockBalance, StockMovement
from savdo.sales.models import CashSession, DailyProductSales, DailySales, Payment, Sale
from savdo.tenancy.models import Role
from tests.catalog.factories import ProductFactory
from tests.conftest import Member
from tests.inventory.factories import receive
from tests.sales.factories import open_shift, ring_up

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (row locks, real concurrency)"),
]

WORKERS = 25  # threads (and connections) at once; the database server is shared
D = Decimal


def race(calls: list[Callable[[], object]], workers: int = WORKERS) -> list:
    """Run every call from a pool of threads released together; return their results in order."""
    barrier = threading.Barrier(min(workers, len(calls)))

    def run(call):
        try:
            with contextlib.suppress(threading.BrokenBarrierError):  # a broken barrier only loses the lockstep
                barrier.wait(timeout=60)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, calls))


def checkout_call(member, sale, key=None, body=None):
    body = body or {"payments": [{"payment_method": "cash", "amount": str(sale.total_amount)}]}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return lambda: member.client.post(f"/api/sales/sales/{sale.pk}/checkout/", body, format="json", **headers)


def test_two_simultaneous_checkouts_of_one_sale_complete_it_once(tenant):
    member = Member(tenant, Role.CASHIER)
    open_shift(member.membership)
    product = ProductFactory(tenant=tenant, sale_price=D("5000"))
    receive(product, 10)
    sale = ring_up(member.membership, [(product, 2)])

    responses = race([checkout_call(member, sale), checkout_call(member, sale)])

    assert sorted(r.status_code for r in responses) == [200, 400]
    refused = next(r for r in responses if r.status_code == 400)
    assert "completed" in refused.json()["message"]
    assert Payment.objects.filter(sale=sale).count() == 1
    assert StockBalance.objects.get(product=product).quantity == D("8")
    assert DailySales.objects.get(tenant=tenant).sales_count == 1


def test_fifty_checkouts_for_the_last_ten_units(tenant):
    product = ProductFactory(tenant=tenant, name="Last units", sale_price=D("1000"))
    receive(product, 10)
    members, sales = [], []
    for _ in range(50):
        member = Member(tenant, Role.CASHIER)
        open_shift(member.membership)
        members.append(member)
        sales.append(ring_up(member.membership, [(product, 1)]))

    responses = race([checkout_call(m, s) for m, s in zip(members, sales, strict=True)])

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 10, 400: 40}, statuses
    assert all("Last units" in r.json()["message"] for r in responses if r.status_code == 400)
    assert StockBalance.objects.get(product=product).quantity == 0
    assert StockMovement.objects.filter(product=product).aggregate(total=Sum("quantity"))["total"] == 0
    assert not StockMovement.objects.filter(product=product, balance_after__lt=0).exists()
    assert Sale.objects.filter(status="completed").count() == 10
    day = DailySales.objects.get(tenant=tenant)
    assert (day.sales_count, day.sales_amount, day.items_sold) == (10, D("10000.00"), D("10.000"))
    per_product = DailyProductSales.objects.get(tenant=tenant, product=product)
    assert (per_product.quantity, per_product.sales_count, per_product.revenue) == (D("10"), 10, D("10000.00"))


def test_receipt_numbers_stay_unique_when_tills_open_sales_together(tenant):
    product = ProductFactory(tenant=tenant)
    receive(product, 100)
    members = [Member(tenant, Role.CASHIER) for _ in range(20)]
    shifts = [open_shift(m.membership) for m in members]

    def scan(member, shift):
        body = {"session": shift.pk, "product": product.pk}
        return lambda: member.client.post("/api/sales/sales/scan-item/", body, format="json")

    responses = race([scan(m, s) for m, s in zip(members, shifts, strict=True)])

    assert [r.status_code for r in responses] == [200] * 20
    numbers = [r.json()["data"]["receipt_number"] for r in responses]
    assert len(set(numbers)) == 20
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 21))


def test_a_retried_checkout_with_the_same_idempotency_key_charges_once(tenant):
    member = Member(tenant, Role.CASHIER)
    open_shift(member.membership)
    product = ProductFactory(tenant=tenant, sale_price=D("7000"))
    receive(product, 10)
    sale = ring_up(member.membership, [(product, 1)])

    responses = race([checkout_call(member, sale, key="retry-me") for _ in range(8)])

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}, statuses
    assert statuses[200] >= 1
    bodies = {r.content for r in responses if r.status_code == 200}
    assert len(bodies) == 1  # every success is the first answer
    assert Payment.objects.filter(sale=sale).count() == 1
    assert StockBalance.objects.get(product=product).quantity == D("9")
    assert (
        member.client.post(
            f"/api/sales/sales/{sale.pk}/checkout/",
            {"payments": [{"payment_method": "cash", "amount": "7000"}]},
            format="json",
            HTTP_IDEMPOTENCY_KEY="retry-me",
        ).content
        in bodies
    )


def test_one_open_shift_per_cashier_under_a_double_click(tenant):
    member = Member(tenant, Role.CASHIER)
    calls = [lambda: member.client.post("/api/sales/sessions/open/", {"opening_balance": 0}, format="json")] * 6

    responses = race(calls)

    assert sorted(r.status_code for r in responses) == [201] + [400] * 5
    assert CashSession.objects.filter(cashier=member.user, status="open").count() == 1


def test_overlapping_baskets_in_opposite_orders_do_not_deadlock(tenant):
    apples = ProductFactory(tenant=tenant, sale_price=D("100"))
    pears = ProductFactory(tenant=tenant, sale_price=D("200"))
    receive(apples, 100, batch_number="A")
    receive(pears, 100, batch_number="P")
    members, sales = [], []
    for index in range(20):
        member = Member(tenant, Role.CASHIER)
        open_shift(member.membership)
        basket = [(apples, 1), (pears, 1)] if index % 2 else [(pears, 1), (apples, 1)]
        members.append(member)
        sales.append(ring_up(member.membership, basket))

    responses = race([checkout_call(m, s) for m, s in zip(members, sales, strict=True)])

    assert [r.status_code for r in responses] == [200] * 20, [
        r.content[:300] for r in responses if r.status_code != 200
    ]
    assert StockBalance.objects.get(product=apples).quantity == D("80")
    assert StockBalance.objects.get(product=pears).quantity == D("80")
    assert DailySales.objects.get(tenant=tenant).sales_count == 20
