"""Document 004 (telecom operator): every documented route and action of §1-§5, the general
parameters (pages, ordering, search), the error shapes, and the document's five usage examples.

Authentication (`/api/auth/login/`, `/api/auth/refresh/`) has its own suite (test_004_auth.py);
§6 tickets have theirs. A 004 front end sends only `Authorization: Bearer`: the clients here send
no `X-Tenant-Key`."""

import re
from decimal import Decimal

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from savdo.customers.models import Customer
from savdo.support import services as support_services
from savdo.telecom import selectors, services
from savdo.telecom.models import Contract, Payment, SimCard, Tariff
from savdo.tenancy.models import Role
from tests.factories import MembershipFactory
from tests.telecom.factories import SimFactory, SubscriberFactory, TariffFactory, active_contract, iccid, make_contract

D = Decimal
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+05:00$")
PAGE_KEYS = {"count", "next", "previous", "results"}

# Example 2, exactly as the document shows it.
IVAN = {
    "first_name": "Иван",
    "last_name": "Иванов",
    "middle_name": "Иванович",
    "phone": "+996550123456",
    "email": "ivan@example.com",
    "document_type": "passport",
    "document_number": "ID1234567",
    "passport_issued_by": "МВД КР",
    "passport_issue_date": "2020-01-01",
    "address": "г. Бишкек, ул. Ленина 1",
}
CUSTOMER_KEYS = {
    *IVAN,
    "id",
    "full_name",
    "status",
    "contracts_count",
    "active_contracts_count",
    "created_at",
    "updated_at",
}
SIM_KEYS = {
    "id",
    "iccid",
    "imsi",
    "msisdn",
    "status",
    "contract",
    "contract_number",
    "activated_at",
    "notes",
    "created_at",
    "updated_at",
}
TARIFF_KEYS = {
    "id",
    "name",
    "description",
    "tariff_type",
    "monthly_fee",
    "minutes",
    "sms",
    "data_mb",
    "credit_limit",
    "priority",
    "is_active",
    "contracts_count",
    "active_contracts_count",
    "created_at",
    "updated_at",
}
CONTRACT_KEYS = {
    "id",
    "number",
    "customer",
    "customer_name",
    "tariff",
    "tariff_name",
    "tariff_type",
    "status",
    "start_date",
    "end_date",
    "balance",
    "credit_limit",
    "sims",
    "notes",
    "activated_at",
    "suspended_at",
    "terminated_at",
    "created_at",
    "updated_at",
}
PAYMENT_KEYS = {
    "id",
    "contract",
    "contract_number",
    "contract_balance",
    "transaction_type",
    "payment_method",
    "amount",
    "status",
    "transaction_id",
    "description",
    "created_by",
    "processed_by",
    "processed_at",
    "created_at",
    "updated_at",
}


class Operator:
    """A member of the store whose client sends only `Authorization: Bearer` (the token's store)."""

    def __init__(self, tenant, role=Role.OWNER):
        self.membership = MembershipFactory(tenant=tenant, role=role)
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(self.membership.user).access_token}")


@pytest.fixture
def op(tenant):
    return Operator(tenant)


def page(response, keys=None) -> list:
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == PAGE_KEYS
    if keys is not None:
        for row in body["results"]:
            assert set(row) == keys, set(row) ^ keys
    return body["results"]


def error(response, status: int) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"status", "message"} and body["status"] == "error"
    return body["message"]


# --- §1 Customers ---------------------------------------------------------------------------------


def test_customers_crud(tenant, op):
    created = op.client.post("/api/customers/", IVAN, format="json")
    assert created.status_code == 201
    body = created.json()
    assert set(body) == CUSTOMER_KEYS
    assert {key: body[key] for key in IVAN} == IVAN
    assert (body["status"], body["full_name"], body["contracts_count"]) == ("active", "Иванов Иван Иванович", 0)
    assert TIMESTAMP.match(body["created_at"])
    pk = body["id"]
    assert [row["id"] for row in page(op.client.get("/api/customers/"), CUSTOMER_KEYS)] == [pk]
    assert op.client.get(f"/api/customers/{pk}/").json() == {**body, "updated_at": body["updated_at"]}
    put = op.client.put(f"/api/customers/{pk}/", {**IVAN, "address": "г. Бишкек, ул. Токтогула 5"}, format="json")
    assert put.status_code == 200 and put.json()["address"] == "г. Бишкек, ул. Токтогула 5"
    patch = op.client.patch(f"/api/customers/{pk}/", {"email": "ivan@mail.kg"}, format="json")
    assert patch.status_code == 200 and patch.json()["email"] == "ivan@mail.kg"
    deleted = op.client.delete(f"/api/customers/{pk}/")
    assert deleted.status_code == 204 and deleted.content == b""
    assert error(op.client.get(f"/api/customers/{pk}/"), 404)


def test_customers_required_fields(op):
    response = op.client.post("/api/customers/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        field: ["Обязательное поле."]
        for field in ("first_name", "last_name", "phone", "document_type", "document_number")
    }


def test_customers_actions(tenant, op):
    customer = SubscriberFactory(tenant=tenant)
    for action, status in [("suspend", "suspended"), ("block", "blocked"), ("activate", "active")]:
        response = op.client.post(f"/api/customers/{customer.pk}/{action}/")
        assert response.status_code == 200
        assert set(response.json()) == CUSTOMER_KEYS and response.json()["status"] == status
    contract = make_contract(tenant, customer=customer)
    rows = page(op.client.get(f"/api/customers/{customer.pk}/contracts/"), CONTRACT_KEYS)
    assert [row["id"] for row in rows] == [contract.pk]
    ticket = support_services.ticket_create(
        tenant=tenant, membership=op.membership, subject="Нет связи", customer=customer, contract=contract
    )
    assert [row["id"] for row in page(op.client.get(f"/api/customers/{customer.pk}/tickets/"))] == [ticket.pk]
    stats = op.client.get("/api/customers/statistics/")
    assert stats.status_code == 200
    assert set(stats.json()) == {"total", "by_status", "by_document_type", "with_contracts", "with_active_contracts"}
    assert stats.json()["total"] == 1


def test_customers_filters(tenant, op):
    ivan = SubscriberFactory(tenant=tenant, first_name="Иван")
    other = SubscriberFactory(tenant=tenant, document_type="id_card", status="blocked")
    ids = lambda path: [row["id"] for row in page(op.client.get(path))]  # noqa: E731
    assert ids("/api/customers/?status=active") == [ivan.pk]
    assert ids("/api/customers/?document_type=passport") == [ivan.pk]
    assert ids("/api/customers/?search=Иван") == [ivan.pk]
    assert ids("/api/customers/?ordering=-created_at") == [other.pk, ivan.pk]


# --- §2 SIMs --------------------------------------------------------------------------------------


def test_sims_crud_and_actions(tenant, op):
    body = {"iccid": iccid(42), "imsi": "437091234567890", "msisdn": "+996550123456"}
    created = op.client.post("/api/sims/", body, format="json")
    assert created.status_code == 201 and set(created.json()) == SIM_KEYS
    sim = created.json()
    assert (sim["status"], sim["contract"]) == ("free", None)
    assert op.client.get(f"/api/sims/{sim['id']}/").json()["iccid"] == iccid(42)
    put = op.client.put(f"/api/sims/{sim['id']}/", {**body, "notes": "Склад 1"}, format="json")
    assert put.status_code == 200 and put.json()["notes"] == "Склад 1"
    contract = make_contract(tenant)
    activated = op.client.post(f"/api/sims/{sim['id']}/activate/", {"contract_id": contract.pk}, format="json")
    assert activated.status_code == 200
    assert (activated.json()["status"], activated.json()["contract"]) == ("active", contract.pk)
    assert op.client.post(f"/api/sims/{sim['id']}/deactivate/").json()["status"] == "inactive"
    assert op.client.post(f"/api/sims/{sim['id']}/block/").json()["status"] == "blocked"
    spare = SimFactory(tenant=tenant)
    assert [row["id"] for row in page(op.client.get("/api/sims/free/"), SIM_KEYS)] == [spare.pk]
    stats = op.client.get("/api/sims/statistics/").json()
    assert stats == {"total": 2, "by_status": {"free": 1, "active": 0, "inactive": 0, "blocked": 1}}
    assert op.client.delete(f"/api/sims/{spare.pk}/").status_code == 204


def test_sims_filters(tenant, op):
    contract = make_contract(tenant)
    bound = SimFactory(tenant=tenant, msisdn="+996550700700")
    services.sim_activate(sim=bound, contract=contract)
    SimFactory(tenant=tenant, msisdn="+996777000111")
    ids = lambda path: [row["id"] for row in page(op.client.get(path))]  # noqa: E731
    assert ids("/api/sims/?status=active") == [bound.pk]
    assert ids(f"/api/sims/?contract={contract.pk}") == [bound.pk]
    assert ids("/api/sims/?search=+996550") == [bound.pk]


# --- §3 Tariffs -----------------------------------------------------------------------------------


def test_tariffs_crud_and_actions(tenant, op):
    body = {
        "name": "Безлимит 500",
        "description": "Безлимитные звонки внутри сети",
        "tariff_type": "prepaid",
        "monthly_fee": 500.00,
        "minutes": None,
        "sms": 100,
        "data_mb": 20480,
        "priority": 1,
    }
    created = op.client.post("/api/tariffs/", body, format="json")
    assert created.status_code == 201 and set(created.json()) == TARIFF_KEYS
    tariff = created.json()
    assert (tariff["monthly_fee"], tariff["minutes"], tariff["is_active"]) == ("500.00", None, True)
    put = op.client.put(f"/api/tariffs/{tariff['id']}/", {**body, "monthly_fee": "550.00"}, format="json")
    assert put.status_code == 200 and put.json()["monthly_fee"] == "550.00"
    assert op.client.post(f"/api/tariffs/{tariff['id']}/deactivate/").json()["is_active"] is False
    assert page(op.client.get("/api/tariffs/active/")) == []
    assert op.client.post(f"/api/tariffs/{tariff['id']}/activate/").json()["is_active"] is True
    assert [row["id"] for row in page(op.client.get("/api/tariffs/active/"), TARIFF_KEYS)] == [tariff["id"]]
    contract = make_contract(tenant, tariff=Tariff.objects.get(pk=tariff["id"]))
    rows = page(op.client.get(f"/api/tariffs/{tariff['id']}/contracts/"), CONTRACT_KEYS)
    assert [row["id"] for row in rows] == [contract.pk]
    stats = op.client.get("/api/tariffs/statistics/").json()
    assert set(stats) == {"total", "active", "inactive", "by_type", "popular"}
    assert error(op.client.delete(f"/api/tariffs/{tariff['id']}/"), 400)
    spare = TariffFactory(tenant=tenant)
    assert op.client.delete(f"/api/tariffs/{spare.pk}/").status_code == 204


def test_tariffs_filters(tenant, op):
    unlimited = TariffFactory(tenant=tenant, name="Безлимит", priority=2)
    postpaid = TariffFactory(tenant=tenant, name="Бизнес", tariff_type="postpaid", priority=1)
    TariffFactory(tenant=tenant, name="Архив", is_active=False, priority=3)
    ids = lambda path: [row["id"] for row in page(op.client.get(path))]  # noqa: E731
    assert ids("/api/tariffs/?is_active=true&ordering=priority") == [postpaid.pk, unlimited.pk]
    assert ids("/api/tariffs/?tariff_type=prepaid&is_active=true") == [unlimited.pk]
    assert ids("/api/tariffs/?search=Безлимит") == [unlimited.pk]


# --- §4 Contracts ---------------------------------------------------------------------------------


def test_contracts_crud_and_actions(tenant, op):
    customer = SubscriberFactory(tenant=tenant)
    tariff = TariffFactory(tenant=tenant)
    created = op.client.post("/api/contracts/", {"customer": customer.pk, "tariff": tariff.pk}, format="json")
    assert created.status_code == 201 and set(created.json()) == CONTRACT_KEYS
    contract = created.json()
    assert re.match(r"^CTR-\d{4}-\d{6}$", contract["number"])
    assert (contract["status"], contract["balance"]) == ("draft", "0.00")
    pk = contract["id"]
    put = op.client.put(
        f"/api/contracts/{pk}/", {"customer": customer.pk, "tariff": tariff.pk, "notes": "Офис"}, format="json"
    )
    assert put.status_code == 200 and put.json()["notes"] == "Офис"
    sim = SimFactory(tenant=tenant)
    activated = op.client.post(f"/api/contracts/{pk}/activate/", {"sim_id": sim.pk}, format="json")
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    assert op.client.post(f"/api/contracts/{pk}/suspend/").json()["status"] == "suspended"
    assert op.client.post(f"/api/contracts/{pk}/resume/").json()["status"] == "active"
    topped = op.client.post(f"/api/contracts/{pk}/add_balance/", {"amount": 1000.00}, format="json")
    assert topped.status_code == 200 and topped.json()["balance"] == "1000.00"
    charged = op.client.post(f"/api/contracts/{pk}/deduct_balance/", {"amount": 500.00}, format="json")
    assert charged.status_code == 200 and charged.json()["balance"] == "500.00"
    rows = page(op.client.get(f"/api/contracts/{pk}/payments/"), PAYMENT_KEYS)
    assert [(row["transaction_type"], row["amount"]) for row in rows] == [("charge", "500.00"), ("payment", "1000.00")]
    ticket = support_services.ticket_create(
        tenant=tenant,
        membership=op.membership,
        subject="Баланс",
        customer=customer,
        contract=Contract.objects.get(pk=pk),
    )
    assert [row["id"] for row in page(op.client.get(f"/api/contracts/{pk}/tickets/"))] == [ticket.pk]
    stats = op.client.get("/api/contracts/statistics/").json()
    assert stats["by_status"]["active"] == 1 and stats["total_balance"] == "500.00"
    terminated = op.client.post(f"/api/contracts/{pk}/terminate/")
    assert terminated.status_code == 200 and terminated.json()["status"] == "terminated"
    assert SimCard.objects.get(pk=sim.pk).status == "free"
    assert error(op.client.delete(f"/api/contracts/{pk}/"), 400)
    draft = make_contract(tenant)
    assert op.client.delete(f"/api/contracts/{draft.pk}/").status_code == 204


def test_contracts_filters(tenant, op):
    first = make_contract(tenant)
    second = active_contract(tenant)
    ids = lambda path: [row["id"] for row in page(op.client.get(path))]  # noqa: E731
    assert ids("/api/contracts/?status=active") == [second.pk]
    assert ids(f"/api/contracts/?customer={first.customer_id}") == [first.pk]
    assert ids(f"/api/contracts/?tariff={second.tariff_id}") == [second.pk]
    assert ids(f"/api/contracts/?search=CTR-{first.number[4:8]}") == [second.pk, first.pk]


# --- §5 Payments ----------------------------------------------------------------------------------


def test_payments_crud_and_actions(tenant, op):
    contract = active_contract(tenant)
    created = op.client.post(
        "/api/payments/",
        {"contract": contract.pk, "transaction_type": "payment", "payment_method": "cash", "amount": 300.00},
        format="json",
    )
    assert created.status_code == 201 and set(created.json()) == PAYMENT_KEYS
    payment = created.json()
    assert (payment["status"], payment["amount"]) == ("pending", "300.00")
    assert payment["transaction_id"].startswith("TXN-")
    pk = payment["id"]
    put = op.client.put(
        f"/api/payments/{pk}/", {"contract": contract.pk, "amount": "350.00", "payment_method": "card"}, format="json"
    )
    assert put.status_code == 200 and put.json()["amount"] == "350.00"
    assert [row["id"] for row in page(op.client.get("/api/payments/pending/"), PAYMENT_KEYS)] == [pk]
    processed = op.client.post(f"/api/payments/{pk}/process/")
    assert processed.status_code == 200
    assert (processed.json()["status"], processed.json()["contract_balance"]) == ("success", "350.00")
    assert error(op.client.put(f"/api/payments/{pk}/", {"contract": contract.pk, "amount": 1}, format="json"), 400)
    assert error(op.client.delete(f"/api/payments/{pk}/"), 400)
    second = op.client.post("/api/payments/", {"contract": contract.pk, "amount": 10}, format="json").json()
    assert op.client.post(f"/api/payments/{second['id']}/cancel/").json()["status"] == "cancelled"
    third = op.client.post("/api/payments/", {"contract": contract.pk, "amount": 10}, format="json").json()
    assert op.client.post(f"/api/payments/{third['id']}/fail/").json()["status"] == "failed"
    assert op.client.delete(f"/api/payments/{third['id']}/").status_code == 204
    stats = op.client.get("/api/payments/statistics/").json()
    assert set(stats) == {"total", "total_amount", "by_status", "by_method", "successful"}
    assert stats["by_status"]["success"] == {"count": 1, "amount": "350.00"}
    contract.refresh_from_db()
    assert contract.balance == D("350.00") == selectors.contract_ledger_sum(contract=contract)


def test_payments_filters(tenant, op):
    contract = active_contract(tenant)
    top_up = services.contract_top_up(contract=contract, amount=D("100"), payment_method="cash")
    charge = services.contract_charge(contract=contract, amount=D("10"), payment_method="card")
    Payment.objects.filter(pk=charge.pk).update(transaction_id="TXN-123")
    ids = lambda path: [row["id"] for row in page(op.client.get(path))]  # noqa: E731
    assert ids("/api/payments/?transaction_type=payment") == [top_up.pk]
    assert ids("/api/payments/?transaction_type=charge") == [charge.pk]
    assert ids("/api/payments/?status=success") == [charge.pk, top_up.pk]
    for status in ("pending", "processing", "failed", "refunded"):
        assert ids(f"/api/payments/?status={status}") == []
    assert ids("/api/payments/?payment_method=cash") == [top_up.pk]
    assert ids(f"/api/payments/?contract={contract.pk}") == [charge.pk, top_up.pk]
    assert ids("/api/payments/?search=TXN-123") == [charge.pk]


# --- general parameters and errors ----------------------------------------------------------------


def test_pagination_ordering_and_search_parameters(tenant, op):
    Customer.objects.bulk_create(
        [Customer(tenant=tenant, first_name=f"Абонент{i}", phone=f"+996555{i:06d}") for i in range(120)]
    )
    body = op.client.get("/api/customers/").json()
    assert (body["count"], len(body["results"])) == (120, 100)
    body = op.client.get("/api/customers/?page=2&page_size=50").json()
    assert len(body["results"]) == 50 and body["next"] and body["previous"]
    names = [
        row["first_name"] for row in op.client.get("/api/customers/?ordering=first_name&page_size=3").json()["results"]
    ]
    assert names == sorted(names)
    assert op.client.get("/api/customers/?search=Абонент7&page_size=500").json()["count"] == 11


def test_error_shapes(tenant, op, anon):
    assert anon.get("/api/contracts/").status_code == 401
    assert error(anon.get("/api/contracts/"), 401)
    assert error(op.client.get("/api/contracts/999999/"), 404)
    agent = Operator(tenant, Role.AGENT)
    assert error(agent.client.post("/api/tariffs/", {"name": "x"}, format="json"), 403)
    response = op.client.post("/api/tariffs/", {"name": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"tariff_type": ["Обязательное поле."], "monthly_fee": ["Обязательное поле."]}


# --- "Примеры использования" ----------------------------------------------------------------------


def test_example_1_active_customers(tenant, op):
    active = SubscriberFactory(tenant=tenant)
    SubscriberFactory(tenant=tenant, status="suspended")
    assert [row["id"] for row in page(op.client.get("/api/customers/?status=active"), CUSTOMER_KEYS)] == [active.pk]


def test_example_2_create_customer(op):
    response = op.client.post("/api/customers/", IVAN, format="json")
    assert response.status_code == 201
    assert {key: response.json()[key] for key in IVAN} == IVAN


def test_example_3_activate_contract_with_sim(tenant, op):
    contract = make_contract(tenant)
    sim = SimFactory(tenant=tenant)
    response = op.client.post(f"/api/contracts/{contract.pk}/activate/", {"sim_id": sim.pk}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == CONTRACT_KEYS
    assert (body["status"], [row["id"] for row in body["sims"]]) == ("active", [sim.pk])
    sim.refresh_from_db()
    assert (sim.status, sim.contract_id) == ("active", contract.pk)


def test_example_4_process_payment(tenant, op):
    contract = active_contract(tenant)
    payment = services.payment_create(tenant=tenant, contract=contract, amount=D("1000.00"))
    response = op.client.post(f"/api/payments/{payment.pk}/process/")
    assert response.status_code == 200
    assert set(response.json()) == PAYMENT_KEYS
    assert (response.json()["status"], response.json()["contract_balance"]) == ("success", "1000.00")


def test_example_5_ticket_statistics(tenant, op):
    customer = SubscriberFactory(tenant=tenant)
    support_services.ticket_create(tenant=tenant, membership=op.membership, subject="Нет интернета", customer=customer)
    response = op.client.get("/api/tickets/statistics/")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    assert {"by_status", "by_priority", "by_category"} <= set(body)
