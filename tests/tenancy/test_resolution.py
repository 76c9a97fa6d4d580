"""Which tenant a request acts for: X-Tenant-Key among the user's memberships, 403 otherwise."""

import pytest
from django.conf import settings
from django.utils import translation
from rest_framework.exceptions import PermissionDenied

from savdo.tenancy.models import Role
from savdo.tenancy.resolution import resolve_membership
from tests.conftest import client_for
from tests.factories import MembershipFactory, TenantFactory, UserFactory

NOT_MEMBER = "Вы не являетесь сотрудником этого магазина."
NO_STORE = "Вы не являетесь сотрудником ни одного магазина."


@pytest.fixture(autouse=True)
def _default_language():
    """The messages are asserted in the default language, whatever an earlier test activated."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def two_stores():
    """A user who owns one store and is cashier in a second (joined later)."""
    first = MembershipFactory(tenant=TenantFactory(name="First"), role=Role.OWNER)
    second = MembershipFactory(user=first.user, tenant=TenantFactory(name="Second"), role=Role.CASHIER)
    return first, second


# --- resolve_membership ---------------------------------------------------------------------


def test_the_key_selects_among_memberships(two_stores):
    first, second = two_stores
    assert resolve_membership(first.user, first.tenant.key) == first
    assert resolve_membership(first.user, second.tenant.key) == second
    assert resolve_membership(first.user, f"  {second.tenant.key} ") == second


def test_without_a_key_the_oldest_membership(two_stores):
    first, _second = two_stores
    assert resolve_membership(first.user, None) == first
    assert resolve_membership(first.user, "") == first


@pytest.mark.parametrize("key", ["no-such-key", "0" * 32])
def test_an_unknown_key_is_403(two_stores, key):
    with pytest.raises(PermissionDenied) as caught:
        resolve_membership(two_stores[0].user, key)
    assert str(caught.value.detail) == NOT_MEMBER


def test_another_tenants_key_is_403_like_an_unknown_one(two_stores):
    foreign = TenantFactory()
    MembershipFactory(tenant=foreign)
    with pytest.raises(PermissionDenied) as caught:
        resolve_membership(two_stores[0].user, foreign.key)
    assert str(caught.value.detail) == NOT_MEMBER


def test_a_user_without_membership_is_403():
    with pytest.raises(PermissionDenied) as caught:
        resolve_membership(UserFactory(), None)
    assert str(caught.value.detail) == NO_STORE


def test_a_deactivated_membership_is_403_for_that_tenant_only(two_stores):
    first, second = two_stores
    first.is_active = False
    first.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        resolve_membership(first.user, first.tenant.key)
    # without a key the next active membership is used
    assert resolve_membership(first.user, None) == second


def test_a_deactivated_tenant_is_403(two_stores):
    first, second = two_stores
    second.tenant.is_active = False
    second.tenant.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        resolve_membership(first.user, second.tenant.key)
    assert resolve_membership(first.user, None) == first


def test_resolution_is_one_query(two_stores, django_assert_num_queries):
    first, second = two_stores
    with django_assert_num_queries(1):
        membership = resolve_membership(first.user, second.tenant.key)
        assert membership.tenant.name == "Second"  # tenant came with it


# --- through a tenant-scoped view (tests/api/urls.py) -------------------------------------------

PATHS = {
    "retail": "/api/users/_test/tenant/",
    "clients": "/api/clients/_test/tenant",
    "crm_v1": "/api/v1/_test/tenant/",
    "telecom": "/api/sims/_test/tenant",
}


def _message(surface, response):
    from tests.api.shapes import error_message

    return error_message(surface, response)


@pytest.mark.urls("tests.api.urls")
@pytest.mark.parametrize("surface", list(PATHS))
def test_view_acts_in_the_selected_tenant(two_stores, surface):
    first, second = two_stores
    client = client_for(first.user)
    zone = "Asia/Tashkent"
    assert client.get(PATHS[surface]).json() == {"tenant": first.tenant.key, "role": "owner", "time_zone": zone}
    chosen = client.get(PATHS[surface], HTTP_X_TENANT_KEY=second.tenant.key)
    assert chosen.json() == {"tenant": second.tenant.key, "role": "cashier", "time_zone": zone}


@pytest.mark.urls("tests.api.urls")
@pytest.mark.parametrize("surface", list(PATHS))
def test_view_refuses_keys_the_user_does_not_hold(two_stores, surface):
    user = two_stores[0].user
    foreign = MembershipFactory().tenant
    for key in ("unknown", foreign.key):
        response = client_for(user).get(PATHS[surface], HTTP_X_TENANT_KEY=key)
        assert response.status_code == 403
        assert _message(surface, response) == NOT_MEMBER


@pytest.mark.urls("tests.api.urls")
@pytest.mark.parametrize("surface", list(PATHS))
def test_view_refuses_a_user_without_store_but_the_profile_works(surface):
    user = UserFactory()
    response = client_for(user).get(PATHS[surface])
    assert response.status_code == 403
    assert _message(surface, response) == NO_STORE
    assert client_for(user).get("/api/users/profile/").status_code == 200


@pytest.mark.urls("tests.api.urls")
def test_view_refuses_a_deactivated_membership(two_stores):
    first, second = two_stores
    second.is_active = False
    second.save(update_fields=["is_active"])
    client = client_for(first.user)
    response = client.get(PATHS["retail"], HTTP_X_TENANT_KEY=second.tenant.key)
    assert response.status_code == 403
    assert response.json() == {"status": "error", "message": NOT_MEMBER}
    assert client.get(PATHS["retail"], HTTP_X_TENANT_KEY=first.tenant.key).status_code == 200


@pytest.mark.urls("tests.api.urls")
def test_view_checks_the_role_in_the_selected_tenant(two_stores):
    first, second = two_stores
    client = client_for(first.user)
    # owner of the first store may write there; cashier of the second may not
    assert client.post(PATHS["retail"], {}, format="json", HTTP_X_TENANT_KEY=first.tenant.key).status_code == 200
    refused = client.post(PATHS["retail"], {}, format="json", HTTP_X_TENANT_KEY=second.tenant.key)
    assert refused.status_code == 403
    assert refused.json() == {"status": "error", "message": "Ваша роль не позволяет выполнить это действие."}


@pytest.mark.urls("tests.api.urls")
def test_view_without_token_is_401_before_any_tenant_check(anon, two_stores):
    response = anon.get(PATHS["crm_v1"], HTTP_X_TENANT_KEY="unknown")
    assert response.status_code == 401


@pytest.mark.urls("tests.api.urls")
def test_view_renders_times_in_the_tenants_zone_and_resets_after(two_stores):
    from django.utils import timezone

    first, _second = two_stores
    first.tenant.time_zone = "Europe/Moscow"
    first.tenant.save(update_fields=["time_zone"])
    assert client_for(first.user).get(PATHS["retail"]).json()["time_zone"] == "Europe/Moscow"
    assert timezone.get_current_timezone_name() == "Asia/Tashkent"  # deactivated after the response


@pytest.mark.urls("tests.api.urls")
def test_view_with_a_mistyped_tenant_zone_uses_the_default(two_stores):
    first, _second = two_stores
    first.tenant.time_zone = "Mars/Olympus"
    first.tenant.save(update_fields=["time_zone"])
    response = client_for(first.user).get(PATHS["retail"])
    assert response.status_code == 200
    assert response.json()["time_zone"] == "Asia/Tashkent"
