"""CRM writes (savdo/crm/services.py): deals with their status machine and history, activities,
deleting a customer."""

from decimal import Decimal
from itertools import product

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from savdo.crm import services
from savdo.crm.choices import DEAL_TRANSITIONS, ActivityType, DealStatus
from savdo.crm.models import Activity, Deal, DealStatusChange
from savdo.customers.models import Customer
from tests.crm.factories import ActivityFactory, DealFactory
from tests.customers.factories import CustomerFactory
from tests.factories import UserFactory


@pytest.fixture
def customer(tenant):
    return CustomerFactory(tenant=tenant, display_name="Aziza Karimova")


@pytest.fixture
def actor():
    return UserFactory()


def _history(deal):
    return list(deal.status_changes.order_by("id").values_list("from_status", "to_status", "changed_by_id"))


def _deal_texts(customer):
    return list(
        Activity.objects.filter(customer=customer, type=ActivityType.DEAL)
        .order_by("id")
        .values_list("description", flat=True)
    )


# --- create ------------------------------------------------------------------------------------------


def test_create_defaults_to_new_with_value_zero_and_opens_the_history(tenant, customer, actor):
    deal = services.deal_create(tenant=tenant, title="  Mebel  ", customer=customer, actor=actor)
    deal.refresh_from_db()
    assert (deal.title, deal.status, deal.value, deal.closed_at, deal.created_by_id) == (
        "Mebel",
        DealStatus.NEW,
        Decimal("0.00"),
        None,
        actor.pk,
    )
    assert _history(deal) == [("", DealStatus.NEW, actor.pk)]
    # the customer's timeline shows the deal, in the store's language (Russian by default)
    assert _deal_texts(customer) == ["Сделка создана: Mebel"]


def test_create_in_the_stores_language(tenant, customer):
    tenant.language = "uz"
    tenant.save(update_fields=["language"])
    services.deal_create(tenant=tenant, title="Mebel", customer=customer)
    assert _deal_texts(customer) == ["Kelishuv yaratildi: Mebel"]


def test_create_closed_stamps_closed_at_and_adds_both_activities(tenant, customer, actor):
    before = timezone.now()
    deal = services.deal_create(
        tenant=tenant, title="Mebel", customer=customer, value="1500.50", status=DealStatus.COMPLETED, actor=actor
    )
    assert deal.closed_at is not None and deal.closed_at >= before
    assert deal.value == Decimal("1500.50")
    assert _history(deal) == [("", DealStatus.COMPLETED, actor.pk)]
    assert _deal_texts(customer) == ["Сделка создана: Mebel", "Сделка завершена: Mebel"]


def test_create_refuses_a_customer_of_another_store_and_writes_nothing(tenant, other_tenant):
    foreign = CustomerFactory(tenant=other_tenant)
    with pytest.raises(ValidationError) as refused:
        services.deal_create(tenant=tenant, title="Mebel", customer=foreign)
    assert refused.value.message_dict == {"customer": ["Покупатель не найден"]}
    assert not Deal.objects.exists() and not DealStatusChange.objects.exists() and not Activity.objects.exists()


def test_create_reports_every_problem_at_once(tenant, other_tenant):
    foreign = CustomerFactory(tenant=other_tenant)
    with pytest.raises(ValidationError) as refused:
        services.deal_create(tenant=tenant, title=" ", customer=foreign, value=-1, status="won")
    assert set(refused.value.message_dict) == {"title", "customer", "value", "status"}
    assert not Deal.objects.exists()


# --- the status machine ------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), list(product(DealStatus.values, DealStatus.values)))
def test_every_move_follows_the_one_table(tenant, customer, source, target):
    deal = DealFactory(tenant=tenant, customer=customer, status=source)
    allowed = target == source or target in DEAL_TRANSITIONS[source]
    if allowed:
        services.deal_change_status(deal=deal, status=target)
        deal.refresh_from_db()
        assert deal.status == target
        assert (deal.closed_at is not None) == (target in (DealStatus.COMPLETED, DealStatus.CANCELLED))
    else:
        with pytest.raises(ValidationError) as refused:
            services.deal_change_status(deal=deal, status=target)
        assert list(refused.value.message_dict) == ["status"]
        deal.refresh_from_db()
        assert deal.status == source
        assert not deal.status_changes.exists()


def test_closed_deals_only_reopen():
    assert DEAL_TRANSITIONS[DealStatus.COMPLETED] == {DealStatus.IN_PROGRESS}
    assert DEAL_TRANSITIONS[DealStatus.CANCELLED] == {DealStatus.IN_PROGRESS}


def test_a_refused_move_names_both_statuses(tenant, customer):
    deal = DealFactory(tenant=tenant, customer=customer, status=DealStatus.COMPLETED)
    with pytest.raises(ValidationError) as refused:
        services.deal_change_status(deal=deal, status=DealStatus.CANCELLED)
    assert refused.value.message_dict == {"status": ["Сделку нельзя перевести из статуса «Завершена» в «Отменена»."]}


def test_every_move_is_recorded_and_closing_stamps_the_moment(tenant, customer, actor):
    deal = services.deal_create(tenant=tenant, title="Mebel", customer=customer, actor=actor)
    other = UserFactory()
    services.deal_change_status(deal=deal, status=DealStatus.IN_PROGRESS, actor=actor)
    before = timezone.now()
    services.deal_change_status(deal=deal, status=DealStatus.COMPLETED, actor=other)
    deal.refresh_from_db()
    assert deal.closed_at >= before
    services.deal_change_status(deal=deal, status=DealStatus.IN_PROGRESS, actor=actor)  # reopened
    deal.refresh_from_db()
    assert deal.closed_at is None
    assert _history(deal) == [
        ("", DealStatus.NEW, actor.pk),
        (DealStatus.NEW, DealStatus.IN_PROGRESS, actor.pk),
        (DealStatus.IN_PROGRESS, DealStatus.COMPLETED, other.pk),
        (DealStatus.COMPLETED, DealStatus.IN_PROGRESS, actor.pk),
    ]
    moments = list(deal.status_changes.order_by("id").values_list("changed_at", flat=True))
    assert moments == sorted(moments)
    assert _deal_texts(customer) == ["Сделка создана: Mebel", "Сделка завершена: Mebel", "Сделка возобновлена: Mebel"]


def test_moving_to_the_same_status_records_nothing(tenant, customer):
    deal = DealFactory(tenant=tenant, customer=customer, status=DealStatus.IN_PROGRESS)
    services.deal_change_status(deal=deal, status=DealStatus.IN_PROGRESS)
    assert not deal.status_changes.exists()


def test_cancel_records_the_close_and_its_activity(tenant, customer):
    deal = DealFactory(tenant=tenant, customer=customer, status=DealStatus.NEW)
    services.deal_change_status(deal=deal, status=DealStatus.CANCELLED)
    deal.refresh_from_db()
    assert deal.closed_at is not None
    assert _deal_texts(customer) == ["Сделка отменена: " + deal.title]


def test_the_database_holds_closed_at_to_the_status(tenant, customer):
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.create(tenant=tenant, customer=customer, title="x", status=DealStatus.COMPLETED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.create(
            tenant=tenant, customer=customer, title="x", status=DealStatus.NEW, closed_at=timezone.now()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.create(tenant=tenant, customer=customer, title="x", value=-1)


# --- update ------------------------------------------------------------------------------------------


def test_update_changes_only_the_given_fields(tenant, customer, actor):
    deal = DealFactory(tenant=tenant, customer=customer, title="Old", description="keep", value=100)
    other_customer = CustomerFactory(tenant=tenant)
    services.deal_update(deal=deal, actor=actor, title="New", value=Decimal("250.00"), customer=other_customer)
    deal.refresh_from_db()
    assert (deal.title, deal.description, deal.value, deal.customer_id) == (
        "New",
        "keep",
        Decimal("250.00"),
        other_customer.pk,
    )
    assert not deal.status_changes.exists()


def test_update_with_a_status_moves_it_through_the_machine(tenant, customer, actor):
    deal = DealFactory(tenant=tenant, customer=customer)
    services.deal_update(deal=deal, actor=actor, status=DealStatus.COMPLETED, value=900)
    deal.refresh_from_db()
    assert (deal.status, deal.value) == (DealStatus.COMPLETED, Decimal("900.00"))
    assert deal.closed_at is not None
    assert _history(deal) == [(DealStatus.NEW, DealStatus.COMPLETED, actor.pk)]


def test_update_refuses_another_stores_customer_and_changes_nothing(tenant, other_tenant, customer):
    deal = DealFactory(tenant=tenant, customer=customer, title="Old")
    foreign = CustomerFactory(tenant=other_tenant)
    with pytest.raises(ValidationError) as refused:
        services.deal_update(deal=deal, title="New", customer=foreign, status=DealStatus.COMPLETED)
    assert refused.value.message_dict == {"customer": ["Покупатель не найден"]}
    deal.refresh_from_db()
    assert (deal.title, deal.customer_id, deal.status) == ("Old", customer.pk, DealStatus.NEW)
    assert not deal.status_changes.exists()


def test_update_with_a_refused_move_changes_no_other_field(tenant, customer):
    deal = DealFactory(tenant=tenant, customer=customer, status=DealStatus.CANCELLED, title="Old")
    with pytest.raises(ValidationError):
        services.deal_update(deal=deal, title="New", status=DealStatus.COMPLETED)
    deal.refresh_from_db()
    assert (deal.title, deal.status) == ("Old", DealStatus.CANCELLED)


def test_delete_keeps_the_customers_timeline(tenant, customer):
    deal = services.deal_create(tenant=tenant, title="Mebel", customer=customer)
    services.deal_delete(deal=deal)
    assert not Deal.objects.exists()
    assert not DealStatusChange.objects.exists()
    assert list(Activity.objects.values_list("deal_id", "description")) == [(None, "Сделка создана: Mebel")]


# --- activities --------------------------------------------------------------------------------------


def test_activity_create(tenant, customer, actor):
    activity = services.activity_create(
        tenant=tenant, type=ActivityType.MEETING, description=" Met at the office ", customer=customer, actor=actor
    )
    activity.refresh_from_db()
    assert (activity.type, activity.description, activity.customer_id, activity.created_by_id) == (
        "meeting",
        "Met at the office",
        customer.pk,
        actor.pk,
    )


def test_activity_create_refuses_bad_input_and_writes_nothing(tenant, other_tenant):
    foreign = CustomerFactory(tenant=other_tenant)
    with pytest.raises(ValidationError) as refused:
        services.activity_create(tenant=tenant, type="fax", description="  ", customer=foreign)
    assert set(refused.value.message_dict) == {"type", "description", "customer"}
    assert not Activity.objects.exists()


def test_activity_of_another_customers_deal_is_refused(tenant, customer):
    deal = DealFactory(tenant=tenant)
    with pytest.raises(ValidationError) as refused:
        services.activity_create(tenant=tenant, type="call", description="x", customer=customer, deal=deal)
    assert list(refused.value.message_dict) == ["deal"]


# --- deleting a customer -----------------------------------------------------------------------------


def test_a_customer_with_deals_is_not_deleted(tenant, customer):
    DealFactory(tenant=tenant, customer=customer)
    ActivityFactory(tenant=tenant, customer=customer)
    with pytest.raises(services.CustomerInUse) as refused:
        services.customer_delete(customer=customer)
    assert refused.value.status_code == 409
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert Activity.objects.filter(customer=customer).count() == 1


def test_a_customer_without_deals_goes_with_their_activities(tenant, customer):
    ActivityFactory(tenant=tenant, customer=customer)
    kept = ActivityFactory(tenant=tenant)
    services.customer_delete(customer=customer)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert list(Activity.objects.values_list("pk", flat=True)) == [kept.pk]


def test_a_customer_other_records_protect_is_not_deleted(tenant, customer, monkeypatch):
    from django.db.models import ProtectedError

    def protected(self, *args, **kwargs):
        raise ProtectedError("sales refer to it", set())

    monkeypatch.setattr(Customer, "delete", protected)
    with pytest.raises(services.CustomerInUse) as refused:
        services.customer_delete(customer=customer)
    assert "продажи" in str(refused.value.detail)
