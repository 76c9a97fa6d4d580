"""Telecom services: numbering, the state machines, the balance and its ledger, payments, SIM cards,
tariffs and subscribers. Every refusal also asserts that nothing changed."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from savdo.customers.models import Customer, CustomerStatus
from savdo.telecom import selectors, services, subscribers
from savdo.telecom.choices import ContractStatus, EntryKind, PaymentStatus, SimStatus, TariffType
from savdo.telecom.exceptions import RuleViolation
from savdo.telecom.models import AppendOnlyError, BalanceEntry, Contract, Payment, SimCard, Tariff
from savdo.telecom.validators import clean_iccid, luhn_valid
from tests.factories import UserFactory
from tests.telecom.factories import (
    SimFactory,
    SubscriberFactory,
    TariffFactory,
    active_contract,
    iccid,
    make_contract,
)

D = Decimal


def ledger_sum(contract) -> Decimal:
    return BalanceEntry.objects.filter(contract=contract).aggregate(s=Sum("amount"))["s"] or D("0.00")


def assert_balanced(contract) -> None:
    contract.refresh_from_db()
    assert contract.balance == ledger_sum(contract) == selectors.contract_ledger_sum(contract=contract)


# --- contract numbers -----------------------------------------------------------------------------


def test_contract_numbers_are_sequential_per_store_and_year(tenant, other_tenant):
    year = services.tenant_local_date(tenant).year
    first = make_contract(tenant)
    second = make_contract(tenant)
    theirs = make_contract(other_tenant)
    assert first.number == f"CTR-{year}-000001"
    assert second.number == f"CTR-{year}-000002"
    assert theirs.number == f"CTR-{year}-000001"
    assert services.contract_next_number(tenant=tenant, year=2024) == "CTR-2024-000001"


def test_a_refused_contract_takes_no_number(tenant):
    blocked = SubscriberFactory(tenant=tenant, status=CustomerStatus.BLOCKED)
    with pytest.raises(ValidationError) as error:
        make_contract(tenant, customer=blocked)
    assert "customer" in error.value.message_dict
    assert not Contract.objects.exists()


def test_a_contract_needs_an_active_tariff_and_sane_dates(tenant):
    tariff = TariffFactory(tenant=tenant, is_active=False)
    with pytest.raises(ValidationError) as error:
        make_contract(tenant, tariff=tariff, start_date=date(2025, 5, 1), end_date=date(2025, 4, 1))
    assert set(error.value.message_dict) == {"tariff", "end_date"}
    assert not Contract.objects.exists()


def test_another_stores_rows_are_refused_by_the_service(tenant, other_tenant):
    with pytest.raises(ValidationError):
        services.contract_create(
            tenant=tenant, customer=SubscriberFactory(tenant=other_tenant), tariff=TariffFactory(tenant=tenant)
        )
    contract = make_contract(tenant)
    with pytest.raises(ValidationError):
        services.contract_activate(contract=contract, sim=SimFactory(tenant=other_tenant))
    assert not Contract.objects.filter(status=ContractStatus.ACTIVE).exists()


# --- the contract state machine ---------------------------------------------------------------------


def test_draft_active_suspended_active_terminated(tenant):
    sim = SimFactory(tenant=tenant)
    contract = make_contract(tenant)
    contract = services.contract_activate(contract=contract, sim=sim)
    sim.refresh_from_db()
    assert (contract.status, sim.status, sim.contract_id) == ("active", "active", contract.pk)
    assert contract.activated_at is not None
    contract = services.contract_suspend(contract=contract)
    assert contract.status == "suspended" and contract.suspended_at is not None
    contract = services.contract_resume(contract=contract)
    assert contract.status == "active" and contract.suspended_at is None
    contract = services.contract_terminate(contract=contract)
    sim.refresh_from_db()
    assert contract.status == "terminated" and contract.terminated_at is not None
    assert (sim.status, sim.contract_id) == ("free", None)


@pytest.mark.parametrize(
    ("status", "command"),
    [
        ("draft", "suspend"),
        ("draft", "resume"),
        ("active", "activate"),
        ("active", "resume"),
        ("suspended", "activate"),
        ("suspended", "suspend"),
        ("terminated", "activate"),
        ("terminated", "suspend"),
        ("terminated", "resume"),
        ("terminated", "terminate"),
    ],
)
def test_a_refused_transition_names_the_status_and_changes_nothing(tenant, status, command):
    contract = make_contract(tenant)
    Contract.objects.filter(pk=contract.pk).update(status=status)
    contract.refresh_from_db()
    service = getattr(services, f"contract_{command}")
    kwargs = {"sim": SimFactory(tenant=tenant)} if command == "activate" else {}
    with pytest.raises(RuleViolation) as error:
        service(contract=contract, **kwargs)
    assert status in str(error.value.detail)
    assert contract.number in str(error.value.detail)
    contract.refresh_from_db()
    assert contract.status == status
    assert not SimCard.objects.filter(status=SimStatus.ACTIVE).exists()


def test_activation_needs_a_free_sim(tenant):
    contract = make_contract(tenant)
    taken = active_contract(tenant).sims.get()
    with pytest.raises(RuleViolation) as error:
        services.contract_activate(contract=contract, sim=taken)
    assert "active" in str(error.value.detail)
    with pytest.raises(ValidationError) as missing:
        services.contract_activate(contract=contract)
    assert "sim_id" in missing.value.message_dict
    contract.refresh_from_db()
    assert contract.status == "draft"


def test_a_blocked_subscriber_cannot_activate(tenant):
    contract = make_contract(tenant)
    Customer.objects.filter(pk=contract.customer_id).update(status=CustomerStatus.BLOCKED)
    sim = SimFactory(tenant=tenant)
    with pytest.raises(RuleViolation):
        services.contract_activate(contract=contract, sim=sim)
    sim.refresh_from_db()
    assert sim.status == "free"


def test_terminate_frees_every_sim_and_keeps_blocked_ones_blocked(tenant):
    contract = active_contract(tenant)
    second = SimFactory(tenant=tenant)
    services.sim_activate(sim=second, contract=contract)
    services.sim_block(sim=second)
    services.contract_terminate(contract=contract)
    rows = {sim.pk: (sim.status, sim.contract_id) for sim in SimCard.objects.all()}
    assert sorted(rows.values()) == [("blocked", None), ("free", None)]


def test_contract_terms_edit_rules(tenant):
    contract = make_contract(tenant)
    other = SubscriberFactory(tenant=tenant)
    contract = services.contract_update(contract=contract, customer=other, notes=" x ")
    assert (contract.customer_id, contract.notes) == (other.pk, "x")
    contract = services.contract_activate(contract=contract, sim=SimFactory(tenant=tenant))
    with pytest.raises(ValidationError) as error:
        services.contract_update(contract=contract, customer=SubscriberFactory(tenant=tenant))
    assert "customer" in error.value.message_dict
    services.contract_terminate(contract=contract)
    with pytest.raises(RuleViolation):
        services.contract_update(contract=contract, notes="late")
    contract.refresh_from_db()
    assert contract.notes == "x"


def test_new_terms_must_allow_the_current_balance(tenant):
    postpaid = TariffFactory(tenant=tenant, tariff_type=TariffType.POSTPAID, credit_limit=D("500.00"))
    contract = active_contract(tenant, tariff=postpaid)
    services.contract_charge(contract=contract, amount=D("300.00"))
    with pytest.raises(ValidationError) as error:
        services.contract_update(contract=contract, tariff=TariffFactory(tenant=tenant))
    assert set(error.value.message_dict) == {"tariff"}
    with pytest.raises(ValidationError) as error:
        services.contract_update(contract=contract, credit_limit=D("299.99"))
    assert set(error.value.message_dict) == {"credit_limit"}
    contract.refresh_from_db()
    assert (contract.tariff_id, contract.credit_limit) == (postpaid.pk, None)
    services.contract_update(contract=contract, credit_limit=D("300.00"))


def test_only_an_untouched_draft_is_deleted(tenant):
    draft = make_contract(tenant)
    services.contract_delete(contract=draft)
    assert not Contract.objects.filter(pk=draft.pk).exists()
    used = active_contract(tenant)
    with pytest.raises(RuleViolation):
        services.contract_delete(contract=used)
    assert Contract.objects.filter(pk=used.pk).exists()
    paid = make_contract(tenant)
    services.payment_create(tenant=tenant, contract=paid, amount=D("10"))
    with pytest.raises(RuleViolation):
        services.contract_delete(contract=paid)


# --- balance and ledger ---------------------------------------------------------------------------


def test_top_up_and_charge_write_a_payment_and_a_ledger_entry_each(tenant):
    user = UserFactory()
    contract = active_contract(tenant)
    top_up = services.contract_top_up(contract=contract, amount=D("1000.00"), actor=user)
    charge = services.contract_charge(contract=contract, amount=D("250.50"), actor=user, description="Абонплата")
    assert (top_up.transaction_type, top_up.status, top_up.amount) == ("payment", "success", D("1000.00"))
    assert (charge.transaction_type, charge.status, charge.amount) == ("charge", "success", D("250.50"))
    entries = list(BalanceEntry.objects.order_by("id").values_list("kind", "amount", "balance_after", "payment_id"))
    assert entries == [
        (EntryKind.TOP_UP, D("1000.00"), D("1000.00"), top_up.pk),
        (EntryKind.CHARGE, D("-250.50"), D("749.50"), charge.pk),
    ]
    entry = BalanceEntry.objects.get(payment=charge)
    assert (entry.actor_id, entry.reason) == (user.pk, "Абонплата")
    assert_balanced(contract)
    assert contract.balance == D("749.50")


def test_a_prepaid_balance_never_goes_below_zero(tenant):
    contract = active_contract(tenant, balance="100.00")
    with pytest.raises(RuleViolation) as error:
        services.contract_charge(contract=contract, amount=D("100.01"))
    assert "100.00" in str(error.value.detail)
    assert Payment.objects.filter(transaction_type="charge").count() == 0
    services.contract_charge(contract=contract, amount=D("100.00"))
    assert_balanced(contract)
    assert contract.balance == D("0.00")


def test_a_postpaid_balance_goes_down_to_its_credit_limit(tenant):
    tariff = TariffFactory(tenant=tenant, tariff_type=TariffType.POSTPAID, credit_limit=D("500.00"))
    contract = active_contract(tenant, tariff=tariff)
    services.contract_charge(contract=contract, amount=D("500.00"))
    assert_balanced(contract)
    assert contract.balance == D("-500.00")
    with pytest.raises(RuleViolation) as error:
        services.contract_charge(contract=contract, amount=D("0.01"))
    assert "500.00" in str(error.value.detail)
    # The contract's own limit wins over the tariff's.
    services.contract_update(contract=contract, credit_limit=D("800.00"))
    services.contract_charge(contract=contract, amount=D("300.00"))
    assert_balanced(contract)
    assert contract.balance == D("-800.00")
    # A top-up into the red is always allowed.
    services.contract_top_up(contract=contract, amount=D("50.00"))
    assert_balanced(contract)
    assert contract.balance == D("-750.00")


@pytest.mark.parametrize("amount", ["0", "-5", "0.001", "1e20", "abc", "NaN", "Infinity"])
def test_amounts_are_positive_with_two_decimals(tenant, amount):
    contract = active_contract(tenant, balance="10.00")
    with pytest.raises(ValidationError) as error:
        services.contract_top_up(contract=contract, amount=amount)
    assert "amount" in error.value.message_dict
    assert_balanced(contract)
    assert Payment.objects.count() == 1


def test_a_terminated_contract_balance_does_not_move(tenant):
    contract = active_contract(tenant, balance="10.00")
    services.contract_terminate(contract=contract)
    with pytest.raises(RuleViolation):
        services.contract_top_up(contract=contract, amount=D("5"))
    assert_balanced(contract)
    assert contract.balance == D("10.00")


def test_ledger_entries_are_append_only(tenant):
    contract = active_contract(tenant, balance="10.00")
    entry = BalanceEntry.objects.get()
    entry.amount = D("99")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert_balanced(contract)


# --- payments -----------------------------------------------------------------------------------


def test_payment_lifecycle_process_applies_once(tenant):
    user = UserFactory()
    contract = active_contract(tenant)
    payment = services.payment_create(tenant=tenant, contract=contract, amount=D("300"), actor=user)
    assert payment.status == "pending" and payment.transaction_id.startswith("TXN-")
    assert_balanced(contract)
    assert contract.balance == D("0.00")
    processed = services.payment_process(payment=payment, actor=user)
    assert (processed.status, processed.processed_by_id) == ("success", user.pk)
    assert_balanced(contract)
    assert contract.balance == D("300.00")
    with pytest.raises(RuleViolation) as error:
        services.payment_process(payment=payment, actor=user)
    assert "success" in str(error.value.detail)
    assert_balanced(contract)
    assert contract.balance == D("300.00")


def test_a_pending_charge_is_recorded_whatever_the_balance_and_refused_when_processed(tenant):
    contract = active_contract(tenant, balance="100.00")
    charge = services.payment_create(tenant=tenant, contract=contract, amount=D("500"), transaction_type="charge")
    with pytest.raises(RuleViolation):
        services.payment_process(payment=charge)
    charge.refresh_from_db()
    assert charge.status == "pending"
    assert_balanced(contract)
    assert contract.balance == D("100.00")


@pytest.mark.parametrize("command", ["cancel", "fail"])
def test_cancel_and_fail_only_from_pending_or_processing(tenant, command):
    contract = active_contract(tenant)
    payment = services.payment_create(tenant=tenant, contract=contract, amount=D("5"))
    service = getattr(services, f"payment_{command}")
    assert service(payment=payment).status == {"cancel": "cancelled", "fail": "failed"}[command]
    with pytest.raises(RuleViolation):
        service(payment=payment)
    processing = services.payment_create(tenant=tenant, contract=contract, amount=D("5"))
    Payment.objects.filter(pk=processing.pk).update(status=PaymentStatus.PROCESSING)
    assert service(payment=processing).status != "processing"
    done = services.contract_top_up(contract=contract, amount=D("5"))
    with pytest.raises(RuleViolation):
        service(payment=done)
    done.refresh_from_db()
    assert done.status == "success"


def test_refund_reverses_with_a_new_entry(tenant):
    contract = active_contract(tenant)
    top_up = services.contract_top_up(contract=contract, amount=D("100"))
    charge = services.contract_charge(contract=contract, amount=D("30"))
    services.payment_refund(payment=charge, reason="ошибка")
    assert_balanced(contract)
    assert contract.balance == D("100.00")
    with pytest.raises(RuleViolation):
        services.payment_refund(payment=charge)
    services.contract_charge(contract=contract, amount=D("90"))
    with pytest.raises(RuleViolation):  # taking the top-up back would go below zero
        services.payment_refund(payment=top_up)
    top_up.refresh_from_db()
    assert top_up.status == "success"
    assert_balanced(contract)
    assert list(BalanceEntry.objects.filter(kind=EntryKind.REFUND).values_list("amount", flat=True)) == [D("30.00")]


def test_transaction_ids_are_unique_per_store(tenant, other_tenant):
    contract = active_contract(tenant)
    services.payment_create(tenant=tenant, contract=contract, amount=D("5"), transaction_id="TXN-123")
    with pytest.raises(ValidationError) as error:
        services.payment_create(tenant=tenant, contract=contract, amount=D("5"), transaction_id="TXN-123")
    assert "transaction_id" in error.value.message_dict
    theirs = active_contract(other_tenant)
    services.payment_create(tenant=other_tenant, contract=theirs, amount=D("5"), transaction_id="TXN-123")
    with pytest.raises(ValidationError):
        services.payment_create(tenant=tenant, contract=contract, amount=D("5"), transaction_id="bad id!")
    assert Payment.objects.filter(tenant=tenant).count() == 1


def test_only_a_pending_payment_is_edited_and_a_processed_one_not_deleted(tenant):
    contract = active_contract(tenant)
    payment = services.payment_create(tenant=tenant, contract=contract, amount=D("5"))
    payment = services.payment_update(payment=payment, amount=D("7.50"), payment_method="elsom")
    assert (payment.amount, payment.payment_method) == (D("7.50"), "elsom")
    services.payment_process(payment=payment)
    with pytest.raises(RuleViolation):
        services.payment_update(payment=payment, amount=D("1"))
    with pytest.raises(RuleViolation):
        services.payment_delete(payment=payment)
    payment.refresh_from_db()
    assert (payment.amount, payment.status) == (D("7.50"), "success")
    cancelled = services.payment_cancel(
        payment=services.payment_create(tenant=tenant, contract=contract, amount=D("1"))
    )
    services.payment_delete(payment=cancelled)
    assert not Payment.objects.filter(pk=cancelled.pk).exists()


def test_a_terminated_contract_takes_no_payment(tenant):
    contract = active_contract(tenant)
    services.contract_terminate(contract=contract)
    with pytest.raises(ValidationError) as error:
        services.payment_create(tenant=tenant, contract=contract, amount=D("5"))
    assert "contract" in error.value.message_dict


# --- SIM cards ----------------------------------------------------------------------------------


def test_iccid_luhn():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    good = iccid(5)
    assert clean_iccid(good) == good
    assert clean_iccid(good[:4] + " " + good[4:]) == good
    for bad in [good[:-1] + str((int(good[-1]) + 1) % 10), "123", good + "12", "8999601abc00000000019"]:
        with pytest.raises(ValidationError):
            clean_iccid(bad)


def test_sim_identifiers_are_validated_and_unique(tenant, other_tenant):
    sim = services.sim_create(tenant=tenant, iccid=iccid(1), imsi="437091234567890", msisdn="+996 550 123 456")
    assert (sim.status, sim.msisdn) == ("free", "+996550123456")
    with pytest.raises(ValidationError) as error:
        services.sim_create(tenant=tenant, iccid=iccid(1), imsi="437091234567890", msisdn="+996550123456")
    assert set(error.value.message_dict) == {"iccid", "imsi", "msisdn"}
    with pytest.raises(ValidationError) as error:
        services.sim_create(tenant=tenant, iccid="8999601000000000001", imsi="4370", msisdn="0550123456")
    assert set(error.value.message_dict) == {"iccid", "imsi", "msisdn"}
    services.sim_create(tenant=other_tenant, iccid=iccid(1), imsi="437091234567890", msisdn="+996550123456")
    assert SimCard.objects.filter(tenant=tenant).count() == 1


def test_sim_state_machine(tenant):
    contract = make_contract(tenant)
    sim = SimFactory(tenant=tenant)
    with pytest.raises(ValidationError):
        services.sim_activate(sim=sim)
    sim = services.sim_activate(sim=sim, contract=contract)
    assert (sim.status, sim.contract_id) == ("active", contract.pk)
    with pytest.raises(RuleViolation):
        services.sim_activate(sim=sim, contract=contract)
    sim = services.sim_deactivate(sim=sim)
    assert sim.status == "inactive"
    with pytest.raises(RuleViolation):
        services.sim_deactivate(sim=sim)
    sim = services.sim_activate(sim=sim)  # back on its own contract
    assert sim.status == "active"
    with pytest.raises(RuleViolation):
        services.sim_activate(sim=services.sim_deactivate(sim=sim), contract=make_contract(tenant))
    sim = services.sim_block(sim=sim)
    assert sim.status == "blocked"
    with pytest.raises(RuleViolation):
        services.sim_block(sim=sim)
    with pytest.raises(RuleViolation):
        services.sim_delete(sim=sim)


def test_a_sim_binds_only_to_a_draft_or_active_contract(tenant):
    contract = active_contract(tenant)
    services.contract_suspend(contract=contract)
    sim = SimFactory(tenant=tenant)
    with pytest.raises(RuleViolation) as error:
        services.sim_activate(sim=sim, contract=contract)
    assert "suspended" in str(error.value.detail)
    sim.refresh_from_db()
    assert (sim.status, sim.contract_id) == ("free", None)


def test_a_free_sim_is_deleted(tenant):
    sim = SimFactory(tenant=tenant)
    services.sim_delete(sim=sim)
    assert not SimCard.objects.exists()


# --- tariffs ------------------------------------------------------------------------------------


def test_tariff_rules(tenant):
    tariff = services.tariff_create(tenant=tenant, name=" Безлимит ", tariff_type="prepaid", monthly_fee=D("500"))
    assert tariff.name == "Безлимит" and tariff.is_active
    with pytest.raises(ValidationError):
        services.tariff_create(tenant=tenant, name="Безлимит", tariff_type="prepaid", monthly_fee=D("1"))
    with pytest.raises(RuleViolation):
        services.tariff_activate(tariff=tariff)
    assert services.tariff_deactivate(tariff=tariff).is_active is False
    assert services.tariff_activate(tariff=tariff).is_active is True
    make_contract(tenant, tariff=tariff)
    with pytest.raises(RuleViolation) as error:
        services.tariff_delete(tariff=tariff)
    assert "1" in str(error.value.detail)
    with pytest.raises(ValidationError):
        services.tariff_update(tariff=tariff, tariff_type="postpaid")
    assert Tariff.objects.get(pk=tariff.pk).tariff_type == "prepaid"
    unused = TariffFactory(tenant=tenant)
    services.tariff_delete(tariff=unused)
    assert not Tariff.objects.filter(pk=unused.pk).exists()


# --- subscribers ----------------------------------------------------------------------------------

SUBSCRIBER = {
    "first_name": "Иван",
    "last_name": "Иванов",
    "phone": "+996550123456",
    "document_type": "passport",
    "document_number": "ID1234567",
}


def test_subscriber_document_is_unique_per_store_whatever_its_spelling(tenant, other_tenant):
    customer = subscribers.subscriber_create(tenant=tenant, **SUBSCRIBER)
    assert customer.document_number == "ID1234567"
    again = {**SUBSCRIBER, "phone": "+996550123457", "document_number": "id 1234567"}
    with pytest.raises(ValidationError) as error:
        subscribers.subscriber_create(tenant=tenant, **again)
    assert error.value.message_dict == {"document_number": [str(subscribers.MSG_DOCUMENT_TAKEN)]}
    subscribers.subscriber_create(tenant=other_tenant, **SUBSCRIBER)
    second = subscribers.subscriber_create(tenant=tenant, **{**again, "document_number": "ID7654321"})
    with pytest.raises(ValidationError):
        subscribers.subscriber_update(customer=second, document_number="ID1234567")
    # Same number, another kind of document: a different document.
    subscribers.subscriber_update(customer=second, document_type="id_card", document_number="ID1234567")
    assert Customer.objects.filter(tenant=tenant).count() == 2


def test_subscriber_phone_carries_its_country_code(tenant):
    assert tenant.phone_region == "UZ"
    customer = subscribers.subscriber_create(tenant=tenant, **{**SUBSCRIBER, "phone": "+996 (550) 12-34-56"})
    assert customer.phone == "+996550123456"
    with pytest.raises(ValidationError) as error:
        subscribers.subscriber_create(tenant=tenant, **{**SUBSCRIBER, "phone": "0550123456", "document_number": "X"})
    assert "phone" in error.value.message_dict


def test_subscriber_issue_date_not_in_the_future(tenant):
    tomorrow = services.tenant_local_date(tenant) + timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        subscribers.subscriber_create(tenant=tenant, **SUBSCRIBER, passport_issue_date=tomorrow)
    assert "passport_issue_date" in error.value.message_dict
    assert not Customer.objects.exists()


def test_subscriber_with_contracts_is_not_deleted(tenant):
    contract = make_contract(tenant)
    with pytest.raises(RuleViolation):
        subscribers.subscriber_delete(customer=contract.customer)
    assert Customer.objects.filter(pk=contract.customer_id).exists()
    lone = SubscriberFactory(tenant=tenant)
    subscribers.subscriber_delete(customer=lone)
    assert not Customer.objects.filter(pk=lone.pk).exists()


def test_subscriber_status_commands(tenant):
    customer = SubscriberFactory(tenant=tenant)
    with pytest.raises(RuleViolation):
        subscribers.subscriber_activate(customer=customer)
    assert subscribers.subscriber_suspend(customer=customer).status == "suspended"
    assert subscribers.subscriber_block(customer=customer).status == "blocked"
    assert subscribers.subscriber_activate(customer=customer).status == "active"
