"""The telecom surface over HTTP: filters, search, ordering, pages, error shapes, roles, idempotency,
the money rules seen from a front end, and `/api/customers/` beside document 000's routes."""

from decimal import Decimal

import pytest

from savdo.audit.models import ChangeLogEntry
from savdo.customers.models import Customer
from savdo.telecom import selectors, services
from savdo.telecom.models import BalanceEntry, Contract, Payment, SimCard, Tariff
from savdo.tenancy.models import Role
from tests.api.shapes import error_message
from tests.conftest import Member
from tests.customers.factories import CustomerGroupFactory
from tests.telecom.factories import SimFactory, SubscriberFactory, TariffFactory, active_contract, iccid, make_contract

D = Decimal


@pytest.fixture
def owner(tenant):
    return Member(tenant, Role.OWNER)


def balanced(contract) -> Decimal:
    contract.refresh_from_db()
    assert contract.balance == selectors.contract_ledger_sum(contract=contract)
    return contract.balance


# --- subscribers --------------------------------------------------------------------------------


def test_subscriber_filters_search_and_ordering(tenant, owner):
    ivan = SubscriberFactory(tenant=tenant, first_name="Иван", phone="+996550111222", email="ivan@example.kg")
    aida = SubscriberFactory(tenant=tenant, first_name="Айда", document_type="id_card", status="suspended")
    client = owner.client
    ids = lambda response: [row["id"] for row in response.json()["results"]]  # noqa: E731
    assert ids(client.get("/api/customers/?status=active")) == [ivan.pk]
    assert ids(client.get("/api/customers/?document_type=id_card")) == [aida.pk]
    assert ids(client.get("/api/customers/?search=иван")) == [ivan.pk]
    assert ids(client.get("/api/customers/?search=+996550111")) == [ivan.pk]
    assert ids(client.get("/api/customers/?search=ivan@example")) == [ivan.pk]
    assert ids(client.get("/api/customers/?ordering=-created_at")) == [aida.pk, ivan.pk]
    assert ids(client.get("/api/customers/?ordering=created_at")) == [ivan.pk, aida.pk]
    response = client.get("/api/customers/?status=sleeping")
    assert response.status_code == 400 and "status" in response.json()
    assert client.get("/api/customers/?document_type=visa").status_code == 400


def test_pages_default_to_100_and_take_page_size(tenant, owner):
    Customer.objects.bulk_create(
        [Customer(tenant=tenant, first_name=f"A{i}", phone=f"+996555{i:06d}") for i in range(105)]
    )
    body = owner.client.get("/api/customers/").json()
    assert (body["count"], len(body["results"]), body["previous"]) == (105, 100, None)
    assert body["next"].endswith("/api/customers/?page=2")
    body = owner.client.get("/api/customers/?page=2&page_size=50").json()
    assert len(body["results"]) == 50 and body["previous"]
    assert owner.client.get("/api/customers/?page=99").status_code == 404


def test_routes_answer_with_and_without_the_trailing_slash(tenant, owner):
    contract = active_contract(tenant)
    for path in ["/api/customers", "/api/sims", "/api/tariffs", "/api/contracts", "/api/payments"]:
        assert owner.client.get(path).status_code == 200, path
        assert owner.client.get(f"{path}/statistics").status_code == 200, path
    assert owner.client.get(f"/api/contracts/{contract.pk}").status_code == 200
    assert owner.client.post(f"/api/contracts/{contract.pk}/suspend", format="json").status_code == 200


def test_the_retail_customer_routes_keep_working(tenant, owner):
    group = CustomerGroupFactory(tenant=tenant)
    created = owner.client.post(
        "/api/customers/customers/", {"first_name": "Иван", "phone": "+998901234567"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert "is_active" in created.json()
    assert owner.client.get("/api/customers/customers/").json()["count"] == 1
    assert owner.client.get(f"/api/customers/groups/{group.pk}/").json()["id"] == group.pk
    # The same customer reads through document 004 too.
    row = owner.client.get(f"/api/customers/{created.json()['id']}/").json()
    assert (row["phone"], row["status"], row["contracts_count"]) == ("+998901234567", "active", 0)
    assert owner.client.get("/api/customers/customers").status_code == 200
    assert owner.client.get("/api/customers/abc/").status_code == 404


def test_subscriber_update_put_and_patch(tenant, owner):
    customer = SubscriberFactory(tenant=tenant)
    body = owner.client.patch(
        f"/api/customers/{customer.pk}/", {"address": "г. Ош", "document_number": "an 99"}, format="json"
    ).json()
    assert (body["address"], body["document_number"]) == ("г. Ош", "AN99")
    full = {
        "first_name": "Бакыт",
        "last_name": "Алиев",
        "phone": "+996700000001",
        "document_type": "id_card",
        "document_number": "AN100",
    }
    response = owner.client.put(f"/api/customers/{customer.pk}/", full, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["full_name"] == "Алиев Бакыт"
    response = owner.client.put(f"/api/customers/{customer.pk}/", {"first_name": "X"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"last_name", "phone", "document_type", "document_number"}


def test_duplicate_document_and_bad_values_are_field_errors(tenant, owner):
    SubscriberFactory(tenant=tenant, document_number="ID1234567")
    body = {
        "first_name": "Иван",
        "last_name": "Иванов",
        "phone": "+996550123456",
        "document_type": "passport",
        "document_number": "ID1234567",
    }
    response = owner.client.post("/api/customers/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"document_number": ["Абонент с таким документом уже существует."]}
    response = owner.client.post(
        "/api/customers/",
        {**body, "document_number": "N1", "phone": "550123456", "email": "x", "passport_issue_date": "2020-13-01"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"email", "passport_issue_date"}
    response = owner.client.post("/api/customers/", {**body, "document_number": "N1", "phone": "550123456"})
    assert set(response.json()) == {"phone"}
    assert Customer.objects.count() == 1


def test_subscriber_commands_and_delete(tenant, owner):
    customer = SubscriberFactory(tenant=tenant)
    assert owner.client.post(f"/api/customers/{customer.pk}/suspend/").json()["status"] == "suspended"
    assert owner.client.post(f"/api/customers/{customer.pk}/block/").json()["status"] == "blocked"
    response = owner.client.post(f"/api/customers/{customer.pk}/block/")
    assert response.status_code == 400 and "blocked" in error_message("telecom", response)
    assert owner.client.post(f"/api/customers/{customer.pk}/activate/").json()["status"] == "active"
    entry = ChangeLogEntry.objects.filter(object_id=customer.pk, action="activate").get()
    assert entry.changes == {"status": ["blocked", "active"]}
    make_contract(tenant, customer=customer)
    response = owner.client.delete(f"/api/customers/{customer.pk}/")
    assert response.status_code == 400 and "1" in error_message("telecom", response)
    lone = SubscriberFactory(tenant=tenant)
    assert owner.client.delete(f"/api/customers/{lone.pk}/").status_code == 204


def test_agent_registers_subscribers_and_records_payments_but_moves_no_money(tenant):
    agent = Member(tenant, Role.AGENT)
    body = {
        "first_name": "Иван",
        "last_name": "Иванов",
        "phone": "+996550123456",
        "document_type": "passport",
        "document_number": "ID1",
    }
    created = agent.client.post("/api/customers/", body, format="json")
    assert created.status_code == 201
    assert agent.client.patch(f"/api/customers/{created.json()['id']}/", {"address": "x"}).status_code == 200
    contract = active_contract(tenant, balance="10.00")
    payment = agent.client.post("/api/payments/", {"contract": contract.pk, "amount": "5"}, format="json")
    assert payment.status_code == 201
    assert agent.client.post(f"/api/payments/{payment.json()['id']}/process/").status_code == 403
    assert agent.client.post(f"/api/contracts/{contract.pk}/add_balance/", {"amount": 1}).status_code == 403
    assert (
        agent.client.post("/api/tariffs/", {"name": "x", "tariff_type": "prepaid", "monthly_fee": 1}).status_code == 403
    )
    for path in ["/api/customers/", "/api/sims/", "/api/tariffs/", "/api/contracts/", "/api/payments/"]:
        assert agent.client.get(path).status_code == 200
        assert agent.client.get(f"{path}statistics/").status_code == 200
    assert balanced(contract) == D("10.00")
    cashier = Member(tenant, Role.CASHIER)
    assert cashier.client.post("/api/customers/", {**body, "document_number": "ID2"}).status_code == 403
    assert cashier.client.post("/api/payments/", {"contract": contract.pk, "amount": "5"}).status_code == 201


# --- SIM cards ----------------------------------------------------------------------------------


def test_sim_search_filters_and_free_list(tenant, owner):
    contract = make_contract(tenant)
    mine = SimFactory(tenant=tenant, msisdn="+996550999001", iccid=iccid(77), imsi="437090000000777")
    free = SimFactory(tenant=tenant, msisdn="+996770000002")
    services.sim_activate(sim=mine, contract=contract)
    ids = lambda path: [row["id"] for row in owner.client.get(path).json()["results"]]  # noqa: E731
    assert ids("/api/sims/?search=+996550") == [mine.pk]
    assert ids("/api/sims/?search=%2B996550") == [mine.pk]
    assert ids("/api/sims/?search=777") == [mine.pk]
    assert ids("/api/sims/?search=89996010000000000") == [free.pk, mine.pk]
    assert ids("/api/sims/?status=free") == [free.pk]
    assert ids(f"/api/sims/?contract={contract.pk}") == [mine.pk]
    assert ids("/api/sims/free/") == [free.pk]
    assert owner.client.get("/api/sims/?contract=abc").status_code == 400
    stats = owner.client.get("/api/sims/statistics/").json()
    assert stats == {"total": 2, "by_status": {"free": 1, "active": 1, "inactive": 0, "blocked": 0}}


def test_sim_create_errors(tenant, owner):
    response = owner.client.post("/api/sims/", {}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"iccid", "imsi", "msisdn"}
    bad = {"iccid": "8999601000000000011", "imsi": "12345", "msisdn": "550123456"}
    response = owner.client.post("/api/sims/", bad, format="json")
    assert set(response.json()) == {"iccid", "imsi", "msisdn"}
    assert not SimCard.objects.exists()


def test_sim_commands_over_http(tenant, owner):
    contract = make_contract(tenant)
    sim = SimFactory(tenant=tenant)
    response = owner.client.post(f"/api/sims/{sim.pk}/activate/", {}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"contract_id"}
    response = owner.client.post(f"/api/sims/{sim.pk}/activate/", {"contract_id": contract.pk}, format="json")
    assert (response.json()["status"], response.json()["contract_number"]) == ("active", contract.number)
    assert owner.client.post(f"/api/sims/{sim.pk}/deactivate/").json()["status"] == "inactive"
    assert owner.client.post(f"/api/sims/{sim.pk}/block/").json()["status"] == "blocked"
    response = owner.client.delete(f"/api/sims/{sim.pk}/")
    assert response.status_code == 400 and "blocked" in error_message("telecom", response)
    spare = SimFactory(tenant=tenant)
    assert owner.client.patch(f"/api/sims/{spare.pk}/", {"notes": "склад"}).json()["notes"] == "склад"
    assert owner.client.delete(f"/api/sims/{spare.pk}/").status_code == 204


# --- tariffs ------------------------------------------------------------------------------------


def test_tariff_filters_ordering_and_active(tenant, owner):
    cheap = TariffFactory(tenant=tenant, name="Безлимит Лайт", priority=5)
    big = TariffFactory(tenant=tenant, name="Бизнес", description="Безлимит на всё", priority=1, tariff_type="postpaid")
    off = TariffFactory(tenant=tenant, name="Архив", priority=3, is_active=False)
    ids = lambda path: [row["id"] for row in owner.client.get(path).json()["results"]]  # noqa: E731
    assert ids("/api/tariffs/?ordering=priority") == [big.pk, off.pk, cheap.pk]
    assert ids("/api/tariffs/?ordering=-priority") == [cheap.pk, off.pk, big.pk]
    assert ids("/api/tariffs/?search=Безлимит") == [big.pk, cheap.pk]
    assert ids("/api/tariffs/?is_active=true") == [big.pk, cheap.pk]
    assert ids("/api/tariffs/?is_active=false") == [off.pk]
    assert ids("/api/tariffs/?tariff_type=postpaid") == [big.pk]
    assert ids("/api/tariffs/active/") == [big.pk, cheap.pk]
    assert owner.client.get("/api/tariffs/?is_active=maybe").status_code == 400
    stats = owner.client.get("/api/tariffs/statistics/").json()
    assert {k: stats[k] for k in ("total", "active", "inactive", "by_type")} == {
        "total": 3,
        "active": 2,
        "inactive": 1,
        "by_type": {"prepaid": 2, "postpaid": 1},
    }


def test_tariff_in_use_is_not_deleted(tenant, owner):
    tariff = TariffFactory(tenant=tenant)
    make_contract(tenant, tariff=tariff)
    response = owner.client.delete(f"/api/tariffs/{tariff.pk}/")
    assert response.status_code == 400 and tariff.name in error_message("telecom", response)
    assert Tariff.objects.filter(pk=tariff.pk).exists()
    assert owner.client.post(f"/api/tariffs/{tariff.pk}/deactivate/").json()["is_active"] is False
    response = owner.client.post(
        "/api/contracts/", {"customer": SubscriberFactory(tenant=tenant).pk, "tariff": tariff.pk}
    )
    assert response.status_code == 400 and set(response.json()) == {"tariff"}


def test_tariff_input_errors(tenant, owner):
    response = owner.client.post("/api/tariffs/", {}, format="json")
    assert set(response.json()) == {"name", "tariff_type", "monthly_fee"}
    bad = {"name": "x", "tariff_type": "monthly", "monthly_fee": "-1", "minutes": -1, "credit_limit": "1.001"}
    assert set(owner.client.post("/api/tariffs/", bad, format="json").json()) == {
        "tariff_type",
        "monthly_fee",
        "minutes",
        "credit_limit",
    }


# --- contracts ----------------------------------------------------------------------------------


def test_contract_filters_and_search(tenant, owner):
    first = make_contract(tenant)
    second = active_contract(tenant)
    ids = lambda path: [row["id"] for row in owner.client.get(path).json()["results"]]  # noqa: E731
    year = first.number.split("-")[1]
    assert ids(f"/api/contracts/?search=CTR-{year}") == [second.pk, first.pk]
    assert ids(f"/api/contracts/?search={second.number.lower()}") == [second.pk]
    assert ids("/api/contracts/?status=active") == [second.pk]
    assert ids(f"/api/contracts/?customer={first.customer_id}") == [first.pk]
    assert ids(f"/api/contracts/?tariff={second.tariff_id}") == [second.pk]
    assert ids("/api/contracts/?ordering=number") == [first.pk, second.pk]
    assert owner.client.get("/api/contracts/?status=open").status_code == 400


def test_a_refused_transition_is_a_400_naming_the_status(tenant, owner):
    contract = make_contract(tenant)
    response = owner.client.post(f"/api/contracts/{contract.pk}/resume/")
    assert response.status_code == 400
    assert error_message("telecom", response) == (
        f"Договор {contract.number} в статусе draft: возобновить можно только приостановленный договор."
    )
    owner.client.post(f"/api/contracts/{contract.pk}/terminate/")
    for command in ("activate", "suspend", "resume", "terminate"):
        response = owner.client.post(f"/api/contracts/{contract.pk}/{command}/", {"sim_id": None}, format="json")
        assert response.status_code == 400, command
        assert "terminated" in error_message("telecom", response) or "расторгнут" in error_message("telecom", response)
    contract.refresh_from_db()
    assert contract.status == "terminated"


def test_contract_activate_with_a_sim_in_one_transaction(tenant, owner):
    contract = make_contract(tenant)
    busy = active_contract(tenant).sims.get()
    response = owner.client.post(f"/api/contracts/{contract.pk}/activate/", {"sim_id": busy.pk}, format="json")
    assert response.status_code == 400
    contract.refresh_from_db()
    assert contract.status == "draft"
    free = SimFactory(tenant=tenant)
    body = owner.client.post(f"/api/contracts/{contract.pk}/activate/", {"sim_id": free.pk}, format="json").json()
    assert body["status"] == "active"
    assert body["sims"] == [{"id": free.pk, "iccid": free.iccid, "msisdn": free.msisdn, "status": "active"}]
    body = owner.client.post(f"/api/contracts/{contract.pk}/terminate/").json()
    assert (body["status"], body["sims"]) == ("terminated", [])
    free.refresh_from_db()
    assert free.status == "free"


def test_balance_commands_over_http(tenant, owner):
    contract = active_contract(tenant)
    body = owner.client.post(f"/api/contracts/{contract.pk}/add_balance/", {"amount": 1000.00}, format="json").json()
    assert body["balance"] == "1000.00"
    assert (body["payment"]["transaction_type"], body["payment"]["status"]) == ("payment", "success")
    body = owner.client.post(
        f"/api/contracts/{contract.pk}/deduct_balance/",
        {"amount": "500.00", "description": "Абонплата", "payment_method": "card"},
        format="json",
    ).json()
    assert (body["balance"], body["payment"]["payment_method"]) == ("500.00", "card")
    for amount in [0, -1, "1.005", "x", None, True]:
        response = owner.client.post(f"/api/contracts/{contract.pk}/add_balance/", {"amount": amount}, format="json")
        assert response.status_code == 400 and set(response.json()) == {"amount"}, amount
    response = owner.client.post(f"/api/contracts/{contract.pk}/deduct_balance/", {"amount": 500.01}, format="json")
    assert response.status_code == 400 and "500.00" in error_message("telecom", response)
    assert balanced(contract) == D("500.00")
    assert Payment.objects.count() == 2
    ledger = owner.client.get(f"/api/contracts/{contract.pk}/ledger/").json()["results"]
    assert [(row["kind"], row["amount"], row["balance_after"]) for row in ledger] == [
        ("top_up", "1000.00", "1000.00"),
        ("charge", "-500.00", "500.00"),
    ]


def test_add_balance_replays_with_the_same_idempotency_key(tenant, owner):
    contract = active_contract(tenant)
    path = f"/api/contracts/{contract.pk}/add_balance/"
    first = owner.client.post(path, {"amount": 100}, format="json", HTTP_IDEMPOTENCY_KEY="top-1")
    again = owner.client.post(path, {"amount": "100.00"}, format="json", HTTP_IDEMPOTENCY_KEY="top-1")
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    other = owner.client.post(path, {"amount": 5}, format="json", HTTP_IDEMPOTENCY_KEY="top-1")
    assert other.status_code == 422
    assert balanced(contract) == D("100.00")


def test_contract_statistics(tenant, owner):
    postpaid = TariffFactory(tenant=tenant, tariff_type="postpaid", credit_limit=D("1000"))
    debtor = active_contract(tenant, tariff=postpaid)
    services.contract_charge(contract=debtor, amount=D("300"))
    active_contract(tenant, balance="1000.50")
    make_contract(tenant)
    stats = owner.client.get("/api/contracts/statistics/").json()
    assert stats == {
        "total": 3,
        "by_status": {"draft": 1, "active": 2, "suspended": 0, "terminated": 0},
        "total_balance": "700.50",
        "in_debt": 1,
        "total_debt": "300.00",
    }
    assert owner.client.get("/api/contracts/statistics/?status=draft").json()["total"] == 1


def test_contract_update_and_delete_over_http(tenant, owner):
    contract = make_contract(tenant)
    response = owner.client.patch(f"/api/contracts/{contract.pk}/", {"credit_limit": "250.00", "balance": "9999"})
    assert response.status_code == 200
    assert (response.json()["credit_limit"], response.json()["balance"]) == ("250.00", "0.00")
    response = owner.client.patch(f"/api/contracts/{contract.pk}/", {"end_date": "2000-01-01"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"end_date"}
    assert owner.client.delete(f"/api/contracts/{contract.pk}/").status_code == 204
    used = active_contract(tenant)
    response = owner.client.delete(f"/api/contracts/{used.pk}/")
    assert response.status_code == 400
    assert Contract.objects.filter(pk=used.pk).exists()


# --- payments -----------------------------------------------------------------------------------


def test_payment_create_process_cancel_fail(tenant, owner):
    contract = active_contract(tenant)
    response = owner.client.post("/api/payments/", {}, format="json")
    assert set(response.json()) == {"contract", "amount"}
    created = owner.client.post(
        "/api/payments/",
        {"contract": contract.pk, "amount": 250, "payment_method": "elsom", "transaction_id": "TXN-123"},
        format="json",
    )
    assert created.status_code == 201
    row = created.json()
    assert (row["status"], row["transaction_type"], row["transaction_id"]) == ("pending", "payment", "TXN-123")
    response = owner.client.post("/api/payments/", {"contract": contract.pk, "amount": 1, "transaction_id": "TXN-123"})
    assert response.json() == {"transaction_id": ["Платёж с таким идентификатором транзакции уже существует."]}
    processed = owner.client.post(f"/api/payments/{row['id']}/process/").json()
    assert (processed["status"], processed["contract_balance"]) == ("success", "250.00")
    response = owner.client.post(f"/api/payments/{row['id']}/process/")
    assert response.status_code == 400 and "success" in error_message("telecom", response)
    for command in ("cancel", "fail"):
        response = owner.client.post(f"/api/payments/{row['id']}/{command}/")
        assert response.status_code == 400
    assert owner.client.patch(f"/api/payments/{row['id']}/", {"amount": 1}).status_code == 400
    assert owner.client.delete(f"/api/payments/{row['id']}/").status_code == 400
    second = services.payment_create(tenant=tenant, contract=contract, amount=D("5"))
    assert owner.client.post(f"/api/payments/{second.pk}/cancel/").json()["status"] == "cancelled"
    third = services.payment_create(tenant=tenant, contract=contract, amount=D("5"))
    assert owner.client.post(f"/api/payments/{third.pk}/fail/").json()["status"] == "failed"
    assert owner.client.delete(f"/api/payments/{third.pk}/").status_code == 204
    assert balanced(contract) == D("250.00")


def test_process_replays_with_the_same_idempotency_key_and_changes_nothing_twice(tenant, owner):
    contract = active_contract(tenant)
    payment = services.payment_create(tenant=tenant, contract=contract, amount=D("40"))
    path = f"/api/payments/{payment.pk}/process/"
    first = owner.client.post(path, HTTP_IDEMPOTENCY_KEY="pay-40")
    again = owner.client.post(path, HTTP_IDEMPOTENCY_KEY="pay-40")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert owner.client.post(path, HTTP_IDEMPOTENCY_KEY="pay-41").status_code == 400
    assert balanced(contract) == D("40.00")
    assert BalanceEntry.objects.filter(payment=payment).count() == 1


def test_a_pending_charge_is_refused_when_processed_below_the_floor(tenant, owner):
    contract = active_contract(tenant, balance="10.00")
    created = owner.client.post(
        "/api/payments/", {"contract": contract.pk, "amount": "50.00", "transaction_type": "charge"}, format="json"
    )
    assert created.status_code == 201
    response = owner.client.post(f"/api/payments/{created.json()['id']}/process/")
    assert response.status_code == 400 and "10.00" in error_message("telecom", response)
    assert Payment.objects.get(pk=created.json()["id"]).status == "pending"
    assert balanced(contract) == D("10.00")


def test_payment_filters_pending_and_statistics(tenant, owner):
    contract = active_contract(tenant)
    top_up = services.contract_top_up(contract=contract, amount=D("100"), payment_method="cash")
    charge = services.contract_charge(contract=contract, amount=D("30"), payment_method="card")
    pending = services.payment_create(tenant=tenant, contract=contract, amount=D("7"), payment_method="mbank")
    ids = lambda path: [row["id"] for row in owner.client.get(path).json()["results"]]  # noqa: E731
    assert ids("/api/payments/?transaction_type=payment") == [pending.pk, top_up.pk]
    assert ids("/api/payments/?transaction_type=charge") == [charge.pk]
    assert ids("/api/payments/?status=success") == [charge.pk, top_up.pk]
    assert ids("/api/payments/?payment_method=cash") == [top_up.pk]
    assert ids(f"/api/payments/?contract={contract.pk}") == [pending.pk, charge.pk, top_up.pk]
    assert ids(f"/api/payments/?search={top_up.transaction_id[-6:]}") == [top_up.pk]
    assert ids("/api/payments/pending/") == [pending.pk]
    assert ids(f"/api/contracts/{contract.pk}/payments/") == [pending.pk, charge.pk, top_up.pk]
    for status in ("pending", "processing", "failed", "refunded", "cancelled"):
        assert owner.client.get(f"/api/payments/?status={status}").status_code == 200
    stats = owner.client.get("/api/payments/statistics/").json()
    assert (stats["total"], stats["total_amount"]) == (3, "137.00")
    assert stats["by_status"]["success"] == {"count": 2, "amount": "130.00"}
    assert stats["by_status"]["pending"] == {"count": 1, "amount": "7.00"}
    assert stats["by_method"]["card"] == {"count": 1, "amount": "30.00"}
    assert stats["successful"] == {
        "payment": {"count": 1, "amount": "100.00"},
        "charge": {"count": 1, "amount": "30.00"},
    }


def test_refund_over_http(tenant, owner):
    contract = active_contract(tenant)
    charge = services.contract_charge(
        contract=services.contract_top_up(contract=contract, amount=D("50")).contract, amount=D("20")
    )
    body = owner.client.post(f"/api/payments/{charge.pk}/refund/", {"reason": "ошибка"}, format="json").json()
    assert (body["status"], body["contract_balance"]) == ("refunded", "50.00")
    assert balanced(contract) == D("50.00")


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ru", "Договор {number} в статусе draft: приостановить можно только активный договор."),
        ("uz", "{number} shartnoma draft holatida: faqat faol shartnomani to'xtatish mumkin."),
        ("en", "Contract {number} is draft: only an active contract can be suspended."),
    ],
)
def test_refusals_speak_the_requested_language(tenant, owner, language, message):
    contract = make_contract(tenant)
    response = owner.client.post(f"/api/contracts/{contract.pk}/suspend/", HTTP_ACCEPT_LANGUAGE=language)
    assert error_message("telecom", response) == message.format(number=contract.number)
