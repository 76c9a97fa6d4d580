"""Fixtures shared by every test: tenants, members with roles, authenticated API clients."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from savdo.tenancy.models import Role
from tests.factories import MembershipFactory, TenantFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters, lock-outs and cached principals live in the cache: every test starts with
    none. On Redis only this test process's keys go (parallel workers share the database)."""
    clear_cache()
    yield
    clear_cache()


def clear_cache():
    from savdo.api.readcache import local_answers

    local_answers.clear()
    if hasattr(cache, "delete_pattern"):  # django-redis: the pattern carries this worker's prefix
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _shared_cache_features(settings):
    """Production runs with the principal cache, cached list totals and cached answers (Redis); the
    tests do too, on either cache."""
    settings.SAVDO_PRINCIPAL_CACHE = True
    settings.SAVDO_CACHED_COUNTS = True
    settings.SAVDO_RESPONSE_CACHE = True


@pytest.fixture(autouse=True)
def _db_for_all(db):
    """Every test may touch the database (transactional tests ask for `transactional_db`)."""


def client_for(user, tenant=None) -> APIClient:
    """An API client signed in as `user` (a real JWT), acting in `tenant` via X-Tenant-Key."""
    client = APIClient()
    access = str(RefreshToken.for_user(user).access_token)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    if tenant is not None:
        client.defaults["HTTP_X_TENANT_KEY"] = tenant.key
    return client


class Member:
    """A user with a role in a tenant, and an API client acting as them."""

    def __init__(self, tenant, role: str):
        self.membership = MembershipFactory(tenant=tenant, role=role)
        self.user = self.membership.user
        self.tenant = tenant
        self.role = role
        self.client = client_for(self.user, tenant)


@pytest.fixture
def tenant():
    return TenantFactory(name="Tashkent Shop")


@pytest.fixture
def other_tenant():
    return TenantFactory(name="Samarkand Shop")


@pytest.fixture
def make_member():
    return Member


@pytest.fixture
def owner(tenant):
    return Member(tenant, Role.OWNER)


@pytest.fixture
def manager(tenant):
    return Member(tenant, Role.MANAGER)


@pytest.fixture
def cashier(tenant):
    return Member(tenant, Role.CASHIER)


@pytest.fixture
def other_owner(other_tenant):
    return Member(other_tenant, Role.OWNER)


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture(autouse=True)
def _default_language():
    """A request's Accept-Language must not leak into the next test's messages."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
