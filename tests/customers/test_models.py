"""The customer model's derived values: names, status views, search digest, discounts."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from savdo.customers.models import (
    Customer,
    CustomerStatus,
    CustomerType,
    status_is_active,
    status_is_blocked,
    status_with_flags,
)
from tests.customers.factories import CustomerFactory, CustomerGroupFactory

S = CustomerStatus


@pytest.mark.parametrize(
    ("fields", "full_name"),
    [
        ({"first_name": "Иван", "last_name": "Петров"}, "Петров Иван"),
        ({"first_name": "Иван", "last_name": "Петров", "middle_name": "Сергеевич"}, "Петров Иван Сергеевич"),
        ({"first_name": "Иван"}, "Иван"),
        ({"first_name": "Иван", "display_name": "Ваня"}, "Ваня"),
        (
            {"customer_type": CustomerType.COMPANY, "first_name": "Контактное", "company_name": "ООО Рога"},
            "ООО Рога",
        ),
        (
            {"customer_type": CustomerType.COMPANY, "company_name": "ООО Ромашка", "display_name": "Ромашка"},
            "Ромашка",
        ),
        ({"first_name": "", "last_name": "", "company_name": "ИП Иванов"}, "ИП Иванов"),
    ],
)
def test_full_name(fields, full_name):
    assert Customer(**fields).full_name == full_name


@pytest.mark.parametrize(
    ("current", "flags", "expected"),
    [
        (S.ACTIVE, {}, S.ACTIVE),
        (S.ACTIVE, {"is_active": True}, S.ACTIVE),
        (S.ACTIVE, {"is_active": False}, S.INACTIVE),
        (S.ACTIVE, {"is_blocked": True}, S.BLOCKED),
        (S.ACTIVE, {"is_blocked": False}, S.ACTIVE),
        (S.ACTIVE, {"is_active": True, "is_blocked": True}, S.BLOCKED),
        (S.POTENTIAL, {"is_active": True}, S.POTENTIAL),
        (S.WAITING, {"is_active": True, "is_blocked": False}, S.WAITING),
        (S.POTENTIAL, {"is_active": False}, S.INACTIVE),
        (S.INACTIVE, {"is_active": True}, S.ACTIVE),
        (S.INACTIVE, {"is_active": False}, S.INACTIVE),
        (S.SUSPENDED, {"is_active": False}, S.SUSPENDED),
        (S.SUSPENDED, {"is_active": True}, S.ACTIVE),
        (S.BLOCKED, {"is_active": False}, S.BLOCKED),
        (S.BLOCKED, {"is_blocked": True}, S.BLOCKED),
        (S.BLOCKED, {"is_blocked": False}, S.ACTIVE),
        (S.BLOCKED, {"is_blocked": False, "is_active": False}, S.INACTIVE),
        (S.BLOCKED, {"is_active": True}, S.ACTIVE),
    ],
)
def test_status_with_flags(current, flags, expected):
    assert status_with_flags(current, **flags) == expected


def test_flag_views_read_back_what_was_written():
    for status in S.values:
        for is_active in (True, False):
            for is_blocked in (True, False):
                new = status_with_flags(status, is_active=is_active, is_blocked=is_blocked)
                assert status_is_blocked(new) == is_blocked
                if not is_blocked:
                    assert status_is_active(new) == is_active


def test_search_text_is_kept_by_save(tenant):
    customer = CustomerFactory(tenant=tenant, first_name="Пётр", last_name="Ёлкин", phone="+998901234567")
    assert customer.search_text == "елкин\nпетр\n" + customer.email + "\n998901234567"

    customer.first_name = "Anvar"
    customer.save(update_fields=["first_name"])
    customer.refresh_from_db()
    assert "anvar" in customer.search_text
    assert "петр" not in customer.search_text


def test_search_text_is_kept_by_queryset_update_and_bulk_writes(tenant):
    customer = CustomerFactory(tenant=tenant, first_name="Ali", last_name="Usmonov")

    Customer.objects.filter(pk=customer.pk).update(first_name="Vali", city="Termiz")
    customer.refresh_from_db()
    assert customer.search_text.startswith("usmonov\nvali\n")

    customer.last_name = "Karimov"
    Customer.objects.bulk_update([customer], ["last_name"])
    customer.refresh_from_db()
    assert customer.search_text.startswith("karimov\nvali\n")

    [created] = Customer.objects.bulk_create([Customer(tenant=tenant, first_name="Zafar", phone="+998909999999")])
    assert Customer.objects.get(pk=created.pk).search_text == "zafar\n998909999999"

    Customer.objects.filter(pk=customer.pk).update(notes="no effect on search")
    customer.refresh_from_db()
    assert customer.search_text.startswith("karimov\nvali")


def test_company_needs_a_company_name():
    with pytest.raises(ValidationError) as exc:
        Customer(customer_type=CustomerType.COMPANY, first_name="A").clean()
    assert list(exc.value.message_dict) == ["company_name"]


def test_phone_and_email_are_unique_per_tenant_in_the_database(tenant, other_tenant):
    CustomerFactory(tenant=tenant, phone="+998901234567", email="a@x.uz")
    CustomerFactory(tenant=other_tenant, phone="+998901234567", email="a@x.uz")
    CustomerFactory(tenant=tenant, phone="", email="")
    CustomerFactory(tenant=tenant, phone="", email="")  # blank is not a value
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(tenant=tenant, phone="+998901234567")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(tenant=tenant, email="a@x.uz")


def test_discount_is_bounded_in_the_database(tenant):
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(tenant=tenant, discount_percent=Decimal("100.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerGroupFactory(tenant=tenant, discount_percent=Decimal("-1"))


def test_effective_discount_and_average_check(tenant):
    group = CustomerGroupFactory(tenant=tenant, discount_percent=Decimal("15"))
    customer = CustomerFactory(tenant=tenant, group=group, discount_percent=Decimal("5"))
    assert customer.effective_discount_percent == Decimal("15")
    group.is_active = False
    assert customer.effective_discount_percent == Decimal("5")
    assert CustomerFactory(tenant=tenant).effective_discount_percent == Decimal("0")

    customer.total_purchases = Decimal("100.00")
    customer.total_purchases_count = 3
    assert customer.average_check == Decimal("33.33")
    customer.total_purchases_count = 0
    assert customer.average_check == Decimal("0.00")
