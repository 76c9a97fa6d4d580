"""Cached list totals stay exact: every kind of write to a counted scope is seen by the next page."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from savdo.customers import services
from savdo.customers.models import Customer, CustomerGroup
from savdo.tenancy.models import Role
from tests.conftest import Member
from tests.customers.factories import CustomerFactory, CustomerGroupFactory

LIST = "/api/customers/customers/"


@pytest.fixture(autouse=True)
def _counts_only(settings):
    """These tests watch the COUNT queries, so the whole answer must not come from the response
    cache (tests/api/test_readcache.py covers that one)."""
    settings.SAVDO_RESPONSE_CACHE = False


@pytest.fixture
def cashier(tenant):
    return Member(tenant, Role.CASHIER)


def _count(client, query="") -> int:
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200, response.content
    return response.json()["count"]


def _count_queries(client, query="") -> int:
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"{LIST}?{query}")
    return sum("COUNT(*)" in q["sql"] for q in ctx.captured_queries)


def test_repeated_pages_reuse_the_total(tenant, cashier):
    CustomerFactory.create_batch(3, tenant=tenant)
    assert _count_queries(cashier.client) == 1  # the writes set a version: counted, stored
    assert _count_queries(cashier.client) == 0
    assert _count_queries(cashier.client, "page=1&page_size=2") == 0  # same filter, another page
    assert _count_queries(cashier.client, "search=zzz") == 1  # another filter has its own total


def test_off_counts_every_time(tenant, cashier, settings):
    settings.SAVDO_CACHED_COUNTS = False
    CustomerFactory(tenant=tenant)
    _count(cashier.client)
    assert _count_queries(cashier.client) == 1


def test_create_update_and_status_change_through_the_api_are_counted(tenant, cashier):
    assert _count(cashier.client) == 0
    assert _count(cashier.client, "is_active=true") == 0
    created = cashier.client.post(LIST, {"first_name": "Aziz", "phone": "+998901112233"}, format="json")
    assert created.status_code == 201
    assert _count(cashier.client) == 1
    assert _count(cashier.client, "is_active=true") == 1
    assert _count(cashier.client, "search=aziz") == 1
    pk = created.json()["id"]
    assert cashier.client.patch(f"{LIST}{pk}/", {"is_active": False}, format="json").status_code == 200
    assert _count(cashier.client, "is_active=true") == 0
    assert cashier.client.patch(f"{LIST}{pk}/", {"first_name": "Bobur"}, format="json").status_code == 200
    assert _count(cashier.client, "search=aziz") == 0
    assert _count(cashier.client, "search=bobur") == 1


def test_bulk_writes_and_deletes_are_counted(tenant, other_tenant, cashier):
    CustomerFactory.create_batch(2, tenant=tenant)
    assert _count(cashier.client) == 2
    Customer.objects.bulk_create([CustomerFactory.build(tenant=tenant, phone="+998905550001")])
    assert _count(cashier.client) == 3
    Customer.objects.for_tenant(tenant).filter(phone="+998905550001").update(status="blocked")
    assert _count(cashier.client, "is_blocked=true") == 1
    Customer.objects.for_tenant(tenant).filter(phone="+998905550001").delete()
    assert _count(cashier.client) == 2
    CustomerFactory.create_batch(4, tenant=other_tenant)  # another tenant's writes: not ours
    assert _count(cashier.client) == 2


def test_statistics_updates_keep_the_total_and_group_changes_drop_it(tenant, cashier):
    group = CustomerGroupFactory(tenant=tenant, discount_percent=Decimal("5"))
    customer = CustomerFactory(tenant=tenant, group=group)
    assert _count(cashier.client, "") == 1
    assert _count(cashier.client, "") == 1
    Customer.objects.filter(pk=customer.pk).update(total_purchases_count=5)  # what a sale does
    assert _count_queries(cashier.client) == 0
    vip = "/api/customers/customers/vip_customers/"
    assert cashier.client.get(vip).json()["count"] == 0
    services.customer_group_update(group=group, discount_percent=Decimal("15"))
    assert cashier.client.get(vip).json()["count"] == 1
    CustomerGroup.objects.filter(pk=group.pk).update(is_active=False)
    assert cashier.client.get(vip).json()["count"] == 0


def test_a_flushed_cache_counts_again(tenant, cashier):
    from django.core.cache import cache

    CustomerFactory(tenant=tenant)
    _count(cashier.client)
    _count(cashier.client)
    cache.clear()  # Redis flushed or restarted empty: the totals are gone, the versions are not
    assert _count_queries(cashier.client) == 1
    CustomerFactory(tenant=tenant)
    assert _count(cashier.client) == 2


def test_a_filter_that_matches_nothing_by_construction_counts_zero(tenant, cashier):
    # `pk__in=[]` has no SQL to key the cached total on (EmptyResultSet): a search of the clients'
    # tags that matched no name was a 500 (found by tools/fuzz_api.py).
    from savdo.core.counts import cached_count
    from tests.customers.factories import TagFactory

    CustomerFactory(tenant=tenant)
    _count(cashier.client)  # a version exists: the cached path runs
    assert cached_count(Customer.objects.filter(tenant=tenant, pk__in=[]), tenant_id=tenant.pk) == 0
    TagFactory(tenant=tenant, name="Постоянный")
    response = cashier.client.get("/api/clients/tags/?search=nothing-like-it")
    assert response.status_code == 200, response.content
    assert response.json()["tags"] == []
