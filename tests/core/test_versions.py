"""Data versions (`savdo.core.versions`): kept in the database, written with the writing
transaction's COMMIT, read by every cached answer before anything else."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from savdo.core import versions
from savdo.core.models import DataVersion


@pytest.fixture(autouse=True)
def _versions_on(settings):
    settings.SAVDO_RESPONSE_CACHE = True


def test_a_renewal_gives_every_key_a_new_value_the_readers_see():
    keys = [versions.key("data", "sales", 10**9), versions.key("data", "stock", 10**9)]
    assert versions.current(keys) == [0, 0]  # never written
    versions.bump(keys)  # outside a transaction: at once
    after = versions.current(keys)
    assert all(after) and after[0] != after[1]
    versions.bump(keys[:1])
    again = versions.current(keys)
    assert again[0] != after[0] and again[1] == after[1]  # only the renewed key moved


def test_a_transaction_writes_its_versions_once_just_before_its_commit():
    keys = [versions.key("data", "sales", 10**9 + 2), versions.key("data", "stock", 10**9 + 2)]
    with CaptureQueriesContext(connection) as ctx, transaction.atomic():
        versions.bump(keys[:1])
        versions.bump(keys)
        assert versions.current(keys) == [0, 0]  # not before the end of the transaction
    writes = [q["sql"] for q in ctx.captured_queries if "INSERT INTO core_dataversion" in q["sql"]]
    assert len(writes) == 1  # one statement for every key the transaction collected
    assert all(versions.current(keys))


def test_a_rolled_back_transaction_writes_no_version():
    key = versions.key("data", "sales", 10**9 + 3)
    with pytest.raises(RuntimeError), transaction.atomic():
        versions.bump([key])
        raise RuntimeError
    assert versions.current([key]) == [0]
    assert not DataVersion.objects.filter(key=key).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (a second connection)")
@pytest.mark.django_db(transaction=True)
def test_other_connections_see_a_new_version_exactly_when_the_data_commits(tenant):
    """The version and the data it stands for become visible together: a reader on another
    connection sees neither before the COMMIT, and both after it."""
    from savdo.customers.models import Customer
    from tests.customers.factories import CustomerFactory

    key = versions.key("data", "customers", tenant.pk)
    before = versions.current([key])[0]
    seen = {}

    def reader():
        try:
            seen["version"] = versions.current([key])[0]
            seen["rows"] = Customer.objects.filter(tenant=tenant).count()
        finally:
            connections.close_all()

    with transaction.atomic():
        CustomerFactory(tenant=tenant)
        thread = threading.Thread(target=reader)
        thread.start()
        thread.join()
        assert seen == {"version": before, "rows": 0}
    thread = threading.Thread(target=reader)
    thread.start()
    thread.join()
    assert seen["rows"] == 1 and seen["version"] != before


def _customers_version(tenant):
    return versions.current([versions.key("data", "customers", tenant.pk)])


def test_tag_links_from_the_tag_side_and_tag_renames_renew_the_customers_scope(tenant):
    from savdo.customers.models import Tag
    from tests.customers.factories import CustomerFactory

    customer = CustomerFactory(tenant=tenant)
    tag = Tag.objects.create(tenant=tenant, name="VIP")
    first = _customers_version(tenant)
    tag.customers.add(customer)  # from the tag's side
    second = _customers_version(tenant)
    assert second != first
    tag.name = "Gold"
    tag.save()
    third = _customers_version(tenant)
    assert third != second
    tag.customers.remove(customer)
    assert _customers_version(tenant) != third
