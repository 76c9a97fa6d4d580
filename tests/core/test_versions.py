"""Version renewals (`savdo.core.versions`): one MSET on Redis, read back as the readers read them."""

import pytest
from django.core.cache import cache

from savdo.core import versions

redis_only = pytest.mark.skipif(not hasattr(getattr(cache, "client", None), "get_client"), reason="django-redis")


@pytest.fixture(autouse=True)
def _versions_on(settings):
    settings.SAVDO_RESPONSE_CACHE = True


def test_a_renewal_gives_every_key_a_new_value_the_readers_see():
    keys = [versions.key("data", "sales", 10**9), versions.key("data", "stock", 10**9)]
    assert versions.current(keys) is None  # missing: created
    before = versions.current(keys)
    versions.bump(keys)  # outside a transaction: at once
    after = versions.current(keys)
    assert before is not None and after is not None
    assert all(new != old for new, old in zip(after, before, strict=True))
    versions.bump(keys[:1])
    assert versions.current(keys)[1] == after[1]  # only the renewed key moved


@redis_only
def test_renewed_versions_do_not_expire():
    key = versions.key("data", "sales", 10**9 + 1)
    versions.bump([key])
    client = cache.client.get_client(write=True)
    assert client.ttl(cache.client.make_key(key)) == -1  # no expiry, as set_many(..., None)


def _customers_version(tenant):
    return versions.current([versions.key("data", "customers", tenant.pk)])


def test_tag_links_from_the_tag_side_and_tag_renames_renew_the_customers_scope(tenant):
    from savdo.customers.models import Tag
    from tests.customers.factories import CustomerFactory

    customer = CustomerFactory(tenant=tenant)
    tag = Tag.objects.create(tenant=tenant, name="VIP")
    first = _customers_version(tenant) or _customers_version(tenant)
    tag.customers.add(customer)  # from the tag's side
    second = _customers_version(tenant)
    assert second != first
    tag.name = "Gold"
    tag.save()
    third = _customers_version(tenant)
    assert third != second
    tag.customers.remove(customer)
    assert _customers_version(tenant) != third
