"""Customer reads: search words, search, VIPs, status views, groups."""

from decimal import Decimal

import pytest

from savdo.customers import selectors
from savdo.customers.models import CustomerStatus
from tests.customers.factories import CustomerFactory, CustomerGroupFactory


@pytest.mark.parametrize(
    ("term", "words"),
    [
        ("Иван", ["иван"]),
        ("  Пётр  Ёлкин ", ["петр", "елкин"]),
        ("+998901234567", ["998901234567"]),
        (" 998901234567", ["998901234567"]),  # a URL-decoded "+"
        ("+998 (90) 123-45-67", ["998901234567"]),
        ("90", ["90"]),
        ("ivan@Example.com", ["ivan@example.com"]),
        ("a\x00b", ["ab"]),
        ("", []),
        ("+", []),
    ],
)
def test_search_words(term, words):
    assert selectors.search_words(term) == words


def test_search_words_are_bounded():
    assert len(selectors.search_words(" ".join(["w"] * 100))) == selectors.MAX_SEARCH_WORDS
    assert len(selectors.search_words("x" * 10_000)[0]) == selectors.MAX_SEARCH_TERM


def test_search_matches_names_company_email_and_phones(tenant, other_tenant):
    ivan = CustomerFactory(tenant=tenant, first_name="Иван", last_name="Петров", phone="+998901234567")
    firm = CustomerFactory(tenant=tenant, company_name="ООО Рога и Копыта", email="info@roga.uz")
    second_phone = CustomerFactory(tenant=tenant, phone_2="+998935554433")
    CustomerFactory(tenant=other_tenant, first_name="Иван")
    base = selectors.customer_list(tenant=tenant)

    def ids(term):
        return {c.pk for c in selectors.customer_search(base, term)}

    assert ids("иван") == {ivan.pk}
    assert ids("петров иван") == {ivan.pk}
    assert ids("иван сидоров") == set()
    assert ids("рога") == {firm.pk}
    assert ids("roga.uz") == {firm.pk}
    assert ids("+998 90 123") == {ivan.pk}
    assert ids("5554433") == {second_phone.pk}
    assert ids("") == {ivan.pk, firm.pk, second_phone.pk}
    assert ids("100%") == set()  # LIKE wildcards are literal


def test_customers_with_flags(tenant):
    active = CustomerFactory(tenant=tenant)
    potential = CustomerFactory(tenant=tenant, status=CustomerStatus.POTENTIAL)
    inactive = CustomerFactory(tenant=tenant, status=CustomerStatus.INACTIVE)
    blocked = CustomerFactory(tenant=tenant, status=CustomerStatus.BLOCKED)
    base = selectors.customer_list(tenant=tenant)

    def ids(**flags):
        return {c.pk for c in selectors.customers_with_flags(base, **flags)}

    assert ids(is_active=True) == {active.pk, potential.pk}
    assert ids(is_active=False) == {inactive.pk, blocked.pk}
    assert ids(is_blocked=True) == {blocked.pk}
    assert ids(is_active=False, is_blocked=False) == {inactive.pk}


def test_vip_list(tenant, other_tenant):
    vip_group = CustomerGroupFactory(tenant=tenant, discount_percent=Decimal("10"))
    off_group = CustomerGroupFactory(tenant=tenant, discount_percent=Decimal("50"), is_active=False)
    by_group = CustomerFactory(tenant=tenant, group=vip_group)
    by_own = CustomerFactory(tenant=tenant, discount_percent=Decimal("12.5"))
    CustomerFactory(tenant=tenant, group=off_group)  # an inactive group's discount does not count
    CustomerFactory(tenant=tenant, discount_percent=Decimal("9.99"))
    CustomerFactory(tenant=other_tenant, discount_percent=Decimal("50"))

    assert {c.pk for c in selectors.customer_vip_list(tenant=tenant)} == {by_group.pk, by_own.pk}


def test_customer_by_phone(tenant, other_tenant):
    mine = CustomerFactory(tenant=tenant, phone="+998901234567")
    CustomerFactory(tenant=other_tenant, phone="+998901234568")

    assert selectors.customer_by_phone(tenant=tenant, phone="+998901234567") == mine
    assert selectors.customer_by_phone(tenant=tenant, phone="+998901234568") is None
    assert selectors.customer_by_phone(tenant=tenant, phone="") is None


def test_group_list_counts_members(tenant):
    group = CustomerGroupFactory(tenant=tenant, name="B")
    empty = CustomerGroupFactory(tenant=tenant, name="A")
    CustomerFactory(tenant=tenant, group=group)
    CustomerFactory(tenant=tenant, group=group)

    rows = [(g.pk, g.members_count) for g in selectors.customer_group_list(tenant=tenant)]

    assert rows == [(empty.pk, 0), (group.pk, 2)]
    assert {c.group_id for c in selectors.customer_group_members(group=group)} == {group.pk}
