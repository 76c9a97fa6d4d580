"""Balances, payments and contract numbers under concurrency, with real threads against PostgreSQL
(skipped on SQLite, whose IMMEDIATE transactions serialise writers anyway).

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

from savdo.telecom import services
from savdo.telecom.models import BalanceEntry, Contract, Payment
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.telecom.factories import SubscriberFactory, TariffFactory, active_contract

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (row locks, real concurrency)"),
]

WORKERS = 20
D = Decimal


def race(calls: list[Callable[[], object]], workers: int = WORKERS) -> list:
    """Run every call from a pool of threads released together; return their results in order."""
    barrier = threading.Barrier(min(workers, len(calls)))

    def run(call):
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=60)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, calls))


def ledger(contract) -> Decimal:
    return BalanceEntry.objects.filter(contract=contract).aggregate(s=Sum("amount"))["s"] or D("0.00")


def test_twenty_threads_topping_up_and_charging_leave_the_balance_equal_to_its_ledger(tenant):
    owner = Member(tenant, Role.OWNER)
    contract = active_contract(tenant, balance="100.00")
    path = f"/api/contracts/{contract.pk}/"

    def top_up():
        return owner.client.post(f"{path}add_balance/", {"amount": "10.00"}, format="json")

    def charge():
        return owner.client.post(f"{path}deduct_balance/", {"amount": "15.00"}, format="json")

    calls = [top_up if i % 2 else charge for i in range(WORKERS)]
    responses = race(calls)
    codes = Counter(r.status_code for r in responses)
    assert set(codes) <= {200, 400}, [r.content for r in responses if r.status_code not in (200, 400)]
    ok_top_ups = sum(1 for call, r in zip(calls, responses, strict=True) if call is top_up and r.status_code == 200)
    ok_charges = sum(1 for call, r in zip(calls, responses, strict=True) if call is charge and r.status_code == 200)
    assert ok_top_ups == WORKERS // 2  # a top-up is never refused
    contract.refresh_from_db()
    expected = D("100.00") + ok_top_ups * D("10.00") - ok_charges * D("15.00")
    assert contract.balance == expected == ledger(contract)
    assert contract.balance >= 0
    assert BalanceEntry.objects.filter(contract=contract).count() == 1 + ok_top_ups + ok_charges
    # Each entry's running balance follows the one before it.
    running = D("0.00")
    for entry in BalanceEntry.objects.filter(contract=contract).order_by("id"):
        running += entry.amount
        assert entry.balance_after == running


def test_charges_racing_for_the_last_money_never_go_below_zero(tenant):
    owner = Member(tenant, Role.OWNER)
    contract = active_contract(tenant, balance="50.00")
    path = f"/api/contracts/{contract.pk}/deduct_balance/"
    responses = race([lambda: owner.client.post(path, {"amount": "10.00"}, format="json") for _ in range(WORKERS)])
    assert sorted(r.status_code for r in responses) == [200] * 5 + [400] * (WORKERS - 5)
    contract.refresh_from_db()
    assert contract.balance == D("0.00") == ledger(contract)


def test_ten_threads_processing_one_payment_apply_it_once(tenant):
    owner = Member(tenant, Role.OWNER)
    contract = active_contract(tenant)
    payment = services.payment_create(tenant=tenant, contract=contract, amount=D("250.00"))
    path = f"/api/payments/{payment.pk}/process/"
    responses = race([lambda: owner.client.post(path) for _ in range(10)], workers=10)
    assert sorted(r.status_code for r in responses) == [200] + [400] * 9
    contract.refresh_from_db()
    assert contract.balance == D("250.00") == ledger(contract)
    assert BalanceEntry.objects.filter(payment=payment).count() == 1
    assert Payment.objects.get(pk=payment.pk).status == "success"


def test_ten_threads_with_one_idempotency_key_apply_it_once_and_replay(tenant):
    owner = Member(tenant, Role.OWNER)
    contract = active_contract(tenant)
    payment = services.payment_create(tenant=tenant, contract=contract, amount=D("70.00"))
    path = f"/api/payments/{payment.pk}/process/"
    responses = race([lambda: owner.client.post(path, HTTP_IDEMPOTENCY_KEY="once") for _ in range(10)], workers=10)
    codes = Counter(r.status_code for r in responses)
    assert set(codes) <= {200, 409}, codes
    assert codes[200] >= 1
    bodies = {r.content for r in responses if r.status_code == 200}
    assert len(bodies) == 1  # the first answer, replayed
    contract.refresh_from_db()
    assert contract.balance == D("70.00") == ledger(contract)


def test_concurrent_contracts_get_unique_consecutive_numbers(tenant):
    owner = Member(tenant, Role.OWNER)
    tariff = TariffFactory(tenant=tenant)
    customers = [SubscriberFactory(tenant=tenant) for _ in range(WORKERS)]
    responses = race(
        [
            (lambda c=c: owner.client.post("/api/contracts/", {"customer": c.pk, "tariff": tariff.pk}, format="json"))
            for c in customers
        ]
    )
    assert [r.status_code for r in responses] == [201] * WORKERS, [r.content for r in responses]
    numbers = sorted(Contract.objects.filter(tenant=tenant).values_list("number", flat=True))
    year = services.tenant_local_date(tenant).year
    assert numbers == [f"CTR-{year}-{n:06d}" for n in range(1, WORKERS + 1)]


def test_two_contracts_racing_for_one_free_sim_bind_it_once(tenant):
    from savdo.telecom.models import SimCard
    from tests.telecom.factories import SimFactory, make_contract

    owner = Member(tenant, Role.OWNER)
    sim = SimFactory(tenant=tenant)
    contracts = [make_contract(tenant) for _ in range(2)]
    responses = race(
        [
            (lambda c=c: owner.client.post(f"/api/contracts/{c.pk}/activate/", {"sim_id": sim.pk}, format="json"))
            for c in contracts
        ]
    )
    assert sorted(r.status_code for r in responses) == [200, 400]
    sim = SimCard.objects.get(pk=sim.pk)
    assert sim.status == "active"
    assert Contract.objects.filter(status="active").get().pk == sim.contract_id
