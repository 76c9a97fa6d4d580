"""Generic checks on every document 004 route (tests/generic.py), plus what they do not cover:
every command and nested route of another store's object is a 404 that changes nothing, and an id
of another store's subscriber, tariff, contract or SIM card in a body reads as "not found"."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from savdo.customers.models import Customer
from savdo.telecom import services
from savdo.telecom.models import BalanceEntry, Contract, Payment, SimCard, Tariff
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.generic import EndpointChecks
from tests.telecom.factories import SimFactory, SubscriberFactory, TariffFactory, active_contract, iccid, make_contract

D = Decimal


def _subscriber_payload(tenant):
    n = Customer.objects.count() + 100
    return {
        "first_name": "Иван",
        "last_name": "Иванов",
        "phone": f"+996550{n:06d}",
        "document_type": "passport",
        "document_number": f"ID{n:07d}",
    }


def _contract_payload(tenant):
    return {"customer": SubscriberFactory(tenant=tenant).pk, "tariff": TariffFactory(tenant=tenant).pk}


def _payment_payload(tenant):
    return {"contract": active_contract(tenant).pk, "amount": "100.00"}


def _sim_payload(tenant):
    n = SimCard.objects.count() + 500
    return {"iccid": iccid(n), "imsi": f"43709{n:010d}", "msisdn": f"+996700{n:06d}"}


class TestSubscriberEndpoints(EndpointChecks):
    model = Customer
    list_path = "/api/customers/"
    detail_path = "/api/customers/{pk}/"
    extra_paths = ["/api/customers/{pk}/contracts/", "/api/customers/{pk}/tickets/"]
    create_payload = staticmethod(_subscriber_payload)
    forbidden = [
        ("post", "/api/customers/", Role.CASHIER),
        ("patch", "/api/customers/{pk}/", Role.CASHIER),
        ("delete", "/api/customers/{pk}/", Role.AGENT),
        ("post", "/api/customers/{pk}/block/", Role.AGENT),
        ("post", "/api/customers/{pk}/suspend/", Role.CASHIER),
        ("post", "/api/customers/{pk}/activate/", Role.AGENT),
    ]

    def make_object(self, tenant):
        customer = SubscriberFactory(tenant=tenant)
        make_contract(tenant, customer=customer)
        return customer


class TestSimEndpoints(EndpointChecks):
    model = SimCard
    list_path = "/api/sims/"
    detail_path = "/api/sims/{pk}/"
    create_payload = staticmethod(_sim_payload)
    forbidden = [
        ("post", "/api/sims/", Role.AGENT),
        ("put", "/api/sims/{pk}/", Role.CASHIER),
        ("delete", "/api/sims/{pk}/", Role.AGENT),
        ("post", "/api/sims/{pk}/block/", Role.AGENT),
        ("post", "/api/sims/{pk}/deactivate/", Role.CASHIER),
        ("post", "/api/sims/{pk}/activate/", Role.AGENT),
    ]

    def make_object(self, tenant):
        sim = SimFactory(tenant=tenant)
        services.sim_activate(sim=sim, contract=make_contract(tenant))
        return sim


class TestTariffEndpoints(EndpointChecks):
    model = Tariff
    list_path = "/api/tariffs/"
    detail_path = "/api/tariffs/{pk}/"
    extra_paths = ["/api/tariffs/{pk}/contracts/"]
    create_payload = staticmethod(
        lambda tenant: {"name": f"Тариф {Tariff.objects.count()}", "tariff_type": "prepaid", "monthly_fee": 300}
    )
    forbidden = [
        ("post", "/api/tariffs/", Role.AGENT),
        ("post", "/api/tariffs/", Role.CASHIER),
        ("patch", "/api/tariffs/{pk}/", Role.AGENT),
        ("post", "/api/tariffs/{pk}/deactivate/", Role.AGENT),
        ("delete", "/api/tariffs/{pk}/", Role.CASHIER),
        ("post", "/api/tariffs/{pk}/activate/", Role.AGENT),
    ]

    def make_object(self, tenant):
        tariff = TariffFactory(tenant=tenant)
        make_contract(tenant, tariff=tariff)
        return tariff


class TestContractEndpoints(EndpointChecks):
    model = Contract
    list_path = "/api/contracts/"
    detail_path = "/api/contracts/{pk}/"
    extra_paths = ["/api/contracts/{pk}/payments/", "/api/contracts/{pk}/tickets/", "/api/contracts/{pk}/ledger/"]
    create_payload = staticmethod(_contract_payload)
    forbidden = [
        ("post", "/api/contracts/", Role.AGENT),
        ("patch", "/api/contracts/{pk}/", Role.CASHIER),
        ("post", "/api/contracts/{pk}/add_balance/", Role.AGENT),
        ("post", "/api/contracts/{pk}/deduct_balance/", Role.CASHIER),
        ("post", "/api/contracts/{pk}/suspend/", Role.AGENT),
        ("post", "/api/contracts/{pk}/terminate/", Role.CASHIER),
        ("delete", "/api/contracts/{pk}/", Role.AGENT),
        ("post", "/api/contracts/{pk}/activate/", Role.AGENT),
        ("post", "/api/contracts/{pk}/resume/", Role.CASHIER),
    ]

    def make_object(self, tenant):
        contract = active_contract(tenant, balance="100.00")
        services.payment_create(tenant=tenant, contract=contract, amount=D("5"))
        return contract


class TestPaymentEndpoints(EndpointChecks):
    model = Payment
    list_path = "/api/payments/"
    detail_path = "/api/payments/{pk}/"
    create_payload = staticmethod(_payment_payload)
    forbidden = [
        ("post", "/api/payments/{pk}/process/", Role.AGENT),
        ("post", "/api/payments/{pk}/process/", Role.CASHIER),
        ("post", "/api/payments/{pk}/cancel/", Role.AGENT),
        ("post", "/api/payments/{pk}/fail/", Role.CASHIER),
        ("patch", "/api/payments/{pk}/", Role.AGENT),
        ("delete", "/api/payments/{pk}/", Role.CASHIER),
        ("post", "/api/payments/{pk}/refund/", Role.AGENT),
    ]

    def make_object(self, tenant):
        return services.payment_create(tenant=tenant, contract=active_contract(tenant), amount=D("50"))


# --- the lists of a part of a resource, and statistics ----------------------------------------------


class TestFreeSimEndpoints(EndpointChecks):
    model = SimCard
    list_path = "/api/sims/free/"

    def make_object(self, tenant):
        return SimFactory(tenant=tenant)


class TestActiveTariffEndpoints(EndpointChecks):
    model = Tariff
    list_path = "/api/tariffs/active/"

    def make_object(self, tenant):
        return TariffFactory(tenant=tenant)


class TestPendingPaymentEndpoints(EndpointChecks):
    model = Payment
    list_path = "/api/payments/pending/"

    def make_object(self, tenant):
        return services.payment_create(tenant=tenant, contract=active_contract(tenant), amount=D("5"))


class StatisticsChecks(EndpointChecks):
    """A statistics route: its rows are totals, so "the list excludes the other store" reads as
    "the totals count only the caller's store"."""

    def test_list_excludes_other_tenant(self, tenant, other_tenant):
        mine = Member(tenant, self.actor_role)
        self.make_object(tenant)
        self.make_object(other_tenant)
        self.make_object(other_tenant)
        response = mine.client.get(self.list_path)
        assert response.status_code == 200, response.content[:300]
        assert response.json()["total"] == 1


class TestSubscriberStatistics(StatisticsChecks):
    list_path = "/api/customers/statistics/"

    def make_object(self, tenant):
        return SubscriberFactory(tenant=tenant)


class TestSimStatistics(StatisticsChecks):
    list_path = "/api/sims/statistics/"

    def make_object(self, tenant):
        return SimFactory(tenant=tenant)


class TestTariffStatistics(StatisticsChecks):
    list_path = "/api/tariffs/statistics/"

    def make_object(self, tenant):
        return TariffFactory(tenant=tenant)


class TestContractStatistics(StatisticsChecks):
    list_path = "/api/contracts/statistics/"

    def make_object(self, tenant):
        return make_contract(tenant)


class TestPaymentStatistics(StatisticsChecks):
    list_path = "/api/payments/statistics/"

    def make_object(self, tenant):
        return services.payment_create(tenant=tenant, contract=active_contract(tenant), amount=D("5"))


# --- commands and nested routes on another store's objects ----------------------------------------

FOREIGN_COMMANDS = [
    ("customer", "/api/customers/{pk}/activate/", {}),
    ("customer", "/api/customers/{pk}/suspend/", {}),
    ("customer", "/api/customers/{pk}/block/", {}),
    ("sim", "/api/sims/{pk}/activate/", {}),
    ("sim", "/api/sims/{pk}/deactivate/", {}),
    ("sim", "/api/sims/{pk}/block/", {}),
    ("tariff", "/api/tariffs/{pk}/activate/", {}),
    ("tariff", "/api/tariffs/{pk}/deactivate/", {}),
    ("contract", "/api/contracts/{pk}/activate/", {}),
    ("contract", "/api/contracts/{pk}/suspend/", {}),
    ("contract", "/api/contracts/{pk}/resume/", {}),
    ("contract", "/api/contracts/{pk}/terminate/", {}),
    ("contract", "/api/contracts/{pk}/add_balance/", {"amount": 10}),
    ("contract", "/api/contracts/{pk}/deduct_balance/", {"amount": 10}),
    ("payment", "/api/payments/{pk}/process/", {}),
    ("payment", "/api/payments/{pk}/cancel/", {}),
    ("payment", "/api/payments/{pk}/fail/", {}),
    ("payment", "/api/payments/{pk}/refund/", {}),
]


def _their_world(tenant):
    contract = active_contract(tenant, balance="100.00")
    return {
        "customer": contract.customer,
        "tariff": contract.tariff,
        "contract": contract,
        "sim": contract.sims.get(),
        "payment": services.payment_create(tenant=tenant, contract=contract, amount=D("5")),
    }


def _state():
    return [
        list(model.objects.order_by("pk").values())
        for model in (Customer, Tariff, Contract, SimCard, Payment, BalanceEntry)
    ]


@pytest.mark.parametrize(("kind", "template", "body"), FOREIGN_COMMANDS)
def test_a_command_on_another_stores_object_is_404_and_changes_nothing(tenant, other_tenant, kind, template, body):
    theirs = _their_world(other_tenant)
    owner = Member(tenant, Role.OWNER)
    before = _state()
    response = owner.client.post(template.format(pk=theirs[kind].pk), body, format="json")
    assert response.status_code == 404, response.content
    assert response.json() == {"status": "error", "message": response.json()["message"]}
    assert _state() == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/contracts/", lambda t, mine: {"customer": t["customer"].pk, "tariff": mine["tariff"].pk}, "customer"),
        ("/api/contracts/", lambda t, mine: {"customer": mine["customer"].pk, "tariff": t["tariff"].pk}, "tariff"),
        ("/api/payments/", lambda t, mine: {"contract": t["contract"].pk, "amount": 5}, "contract"),
        ("/api/sims/{sim}/activate/", lambda t, mine: {"contract_id": t["contract"].pk}, "contract_id"),
        ("/api/contracts/{draft}/activate/", lambda t, mine: {"sim_id": t["free_sim"].pk}, "sim_id"),
    ],
)
def test_another_stores_ids_in_a_body_read_as_not_found(tenant, other_tenant, path, body, field):
    theirs = _their_world(other_tenant)
    theirs["free_sim"] = SimFactory(tenant=other_tenant)
    mine = _their_world(tenant)
    draft = make_contract(tenant, customer=mine["customer"], tariff=mine["tariff"])
    free_sim = SimFactory(tenant=tenant)
    owner = Member(tenant, Role.OWNER)
    before = _state()
    url = path.format(sim=free_sim.pk, draft=draft.pk)
    response = owner.client.post(url, body(theirs, mine), format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {field: ["Не найдено."]}
    assert _state() == before
    # An id that exists nowhere reads the same.
    nowhere = {key: 10**9 for key in body(theirs, mine) if key == field}
    response = owner.client.post(url, {**body(theirs, mine), **nowhere}, format="json")
    assert response.json() == {field: ["Не найдено."]}


@pytest.mark.parametrize(
    "path",
    [
        "/api/customers/statistics/",
        "/api/sims/statistics/",
        "/api/sims/free/",
        "/api/tariffs/statistics/",
        "/api/tariffs/active/",
        "/api/contracts/statistics/",
        "/api/payments/statistics/",
        "/api/payments/pending/",
        "/api/customers/{customer}/contracts/",
        "/api/contracts/{contract}/payments/",
        "/api/contracts/{contract}/ledger/",
        "/api/tariffs/{tariff}/contracts/",
    ],
)
def test_statistics_and_nested_lists_run_a_constant_number_of_queries(tenant, settings, path):
    settings.SAVDO_CACHED_COUNTS = False
    owner = Member(tenant, Role.OWNER)
    customer = SubscriberFactory(tenant=tenant)
    tariff = TariffFactory(tenant=tenant)

    def grow():
        contract = active_contract(tenant, customer=customer, tariff=tariff, balance="10.00")
        services.payment_create(tenant=tenant, contract=contract, amount=D("5"))
        SimFactory(tenant=tenant)
        return contract

    first = grow()
    url = path.format(customer=customer.pk, contract=first.pk, tariff=tariff.pk)
    owner.client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert owner.client.get(url).status_code == 200
    for _ in range(6):
        grow()
        services.contract_charge(contract=first, amount=D("1"))
    with CaptureQueriesContext(connection) as many:
        assert owner.client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_statistics_count_only_the_callers_store(tenant, other_tenant):
    _their_world(other_tenant)
    owner = Member(tenant, Role.OWNER)
    for path in ["/api/customers/", "/api/sims/", "/api/tariffs/", "/api/contracts/", "/api/payments/"]:
        assert owner.client.get(f"{path}statistics/").json()["total"] == 0, path
        assert owner.client.get(path).json()["count"] == 0, path
