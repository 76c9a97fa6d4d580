"""The demo telecom operator (savdo/demo/telecom.py): a store whose every balance equals its ledger,
with every status present, rules kept through its year, its own logins, and idempotent."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from savdo.customers.models import Customer
from savdo.demo.telecom import TELECOM_DEMO_PASSWORD, load_telecom
from savdo.telecom import services
from savdo.telecom.models import BalanceEntry, Contract, ContractNumberCounter, Payment, SimCard
from savdo.telecom.validators import clean_iccid, clean_imsi, clean_msisdn


@pytest.fixture
def demo():
    return load_telecom(now=timezone.now(), subscribers=120)


def test_every_balance_equals_its_ledger_and_the_rules_held_all_year(demo):
    tenant = demo["tenant"]
    contracts = Contract.objects.filter(tenant=tenant).select_related("tariff")
    sums = dict(BalanceEntry.objects.filter(tenant=tenant).values_list("contract").annotate(s=Sum("amount")).order_by())
    running = defaultdict(Decimal)
    for entry in BalanceEntry.objects.filter(tenant=tenant).order_by("created_at", "id"):
        running[entry.contract_id] += entry.amount
        assert entry.balance_after == running[entry.contract_id]
    for contract in contracts:
        assert contract.balance == sums.get(contract.pk, Decimal("0.00")), contract.number
        floor = services.contract_balance_floor(contract)
        lowest = BalanceEntry.objects.filter(contract=contract).order_by("balance_after").first()
        if lowest is not None:
            assert lowest.balance_after >= floor, contract.number
    # Every success or refunded payment moved the balance, nothing else did.
    moved = Payment.objects.filter(tenant=tenant, status__in=["success", "refunded"]).count()
    assert BalanceEntry.objects.filter(tenant=tenant).exclude(kind="refund").count() == moved


def test_every_status_is_there(demo):
    tenant = demo["tenant"]
    assert set(Contract.objects.filter(tenant=tenant).values_list("status", flat=True)) == {
        "draft",
        "active",
        "suspended",
        "terminated",
    }
    assert set(Payment.objects.filter(tenant=tenant).values_list("status", flat=True)) >= {
        "pending",
        "success",
        "failed",
        "refunded",
    }
    assert set(SimCard.objects.filter(tenant=tenant).values_list("status", flat=True)) >= {"free", "active"}
    assert Payment.objects.filter(tenant=tenant, transaction_type="charge").exists()


def test_rows_follow_the_domain_rules(demo):
    tenant = demo["tenant"]
    for sim in SimCard.objects.filter(tenant=tenant):
        assert clean_iccid(sim.iccid) == sim.iccid
        assert clean_imsi(sim.imsi) == sim.imsi
        assert clean_msisdn(sim.msisdn) == sim.msisdn
    assert not SimCard.objects.filter(tenant=tenant, contract__status="terminated").exists()
    assert not SimCard.objects.filter(tenant=tenant, contract__status="draft").exists()
    assert not Contract.objects.filter(tenant=tenant, status="active", sims__isnull=True).exists()
    for customer in Customer.objects.filter(tenant=tenant):
        assert customer.phone.startswith("+996") and customer.document_number and customer.document_type
    numbers = list(Contract.objects.filter(tenant=tenant).values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)
    # The services continue each year's sequence.
    counter = ContractNumberCounter.objects.filter(tenant=tenant).order_by("-year").first()
    assert services.contract_next_number(tenant=tenant, year=counter.year) == (
        f"CTR-{counter.year}-{counter.last_number + 1:06d}"
    )


def test_logins_see_their_store(demo):
    client = APIClient()
    response = client.post("/api/auth/login/", {"username": "demo-telecom-agent", "password": TELECOM_DEMO_PASSWORD})
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert client.get("/api/contracts/").json()["count"] == demo["contracts"]
    assert client.get("/api/customers/").json()["count"] == demo["subscribers"]


def test_a_second_run_adds_nothing(demo):
    rows = (Contract.objects.count(), Payment.objects.count(), BalanceEntry.objects.count())
    again = load_telecom(now=timezone.now(), subscribers=120)
    assert again["created"] == 0 and again["tenant"] == demo["tenant"]
    assert (Contract.objects.count(), Payment.objects.count(), BalanceEntry.objects.count()) == rows
