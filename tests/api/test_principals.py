"""The principal cache: a known token skips the user and membership queries, and every change that
could alter who the token is (sign-out, user, membership, tenant) is seen by the very next request."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from savdo.api import principals
from savdo.tenancy import services as tenancy_services
from savdo.tenancy.models import Role
from tests.conftest import Member

CUSTOMERS = "/api/customers/customers/"


@pytest.fixture
def cashier(tenant):
    return Member(tenant, Role.CASHIER)


def _queries(client, path=CUSTOMERS, **extra):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **extra)
    return response, [q["sql"] for q in ctx.captured_queries]


def _auth_queries(sqls):
    return [s for s in sqls if "accounts_user" in s or "tenancy_membership" in s]


def test_second_request_with_the_same_token_reads_no_user_or_membership(cashier):
    first, sqls = _queries(cashier.client)
    assert first.status_code == 200
    assert len(_auth_queries(sqls)) == 2
    second, sqls = _queries(cashier.client)
    assert second.status_code == 200
    assert _auth_queries(sqls) == []
    assert second.json() == first.json()


def test_off_means_every_request_reads_the_database(cashier, settings):
    settings.SAVDO_PRINCIPAL_CACHE = False
    cashier.client.get(CUSTOMERS)
    _, sqls = _queries(cashier.client)
    assert len(_auth_queries(sqls)) == 2


def test_sign_out_refuses_the_cached_token_at_once(cashier):
    assert cashier.client.get(CUSTOMERS).status_code == 200
    refresh = RefreshToken.for_user(cashier.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
    client.defaults["HTTP_X_TENANT_KEY"] = cashier.tenant.key
    assert client.get(CUSTOMERS).status_code == 200
    assert client.post("/api/v1/auth/logout", {"refresh_token": str(refresh)}, format="json").status_code == 200
    assert client.get(CUSTOMERS).status_code == 401
    # another token of the same user is unaffected, and comes from the database again
    assert cashier.client.get(CUSTOMERS).status_code == 200


def test_deactivated_membership_is_refused_at_once(tenant, cashier):
    owner = Member(tenant, Role.OWNER)
    assert cashier.client.get(CUSTOMERS).status_code == 200
    tenancy_services.membership_deactivate(membership=cashier.membership, actor=owner.membership)
    assert cashier.client.get(CUSTOMERS).status_code == 403


def test_role_change_applies_at_once(tenant, cashier):
    assert cashier.client.get("/api/analytics/daily-sales/today/").status_code == 403
    cashier.membership.role = Role.MANAGER
    cashier.membership.save()
    assert cashier.client.get("/api/analytics/daily-sales/today/").status_code == 200


def test_deactivated_user_is_refused_at_once(cashier):
    assert cashier.client.get(CUSTOMERS).status_code == 200
    cashier.user.is_active = False
    cashier.user.save()
    assert cashier.client.get(CUSTOMERS).status_code == 401


def test_deactivated_tenant_is_refused_at_once(tenant, cashier):
    assert cashier.client.get(CUSTOMERS).status_code == 200
    tenant.is_active = False
    tenant.save()
    assert cashier.client.get(CUSTOMERS).status_code == 403


def test_tenant_settings_change_is_seen_at_once(tenant, cashier):
    assert cashier.client.get(CUSTOMERS).status_code == 200
    tenant.time_zone = "Asia/Samarkand"
    tenant.save()
    # the next request acts with the saved tenant, not the cached copy
    cashier.client.get(CUSTOMERS)
    found, _hit = principals.lookup(
        user_id=cashier.user.pk,
        jti=_jti(cashier.client),
        tenant_key=tenant.key,
        expires_at=2**31,
    )
    assert found.principal.membership.tenant.time_zone == "Asia/Samarkand"


def test_tenant_key_picks_its_own_entry(tenant, other_tenant, cashier):
    from tests.factories import MembershipFactory

    MembershipFactory(tenant=other_tenant, user=cashier.user, role=Role.MANAGER)
    here = cashier.client.get("/api/analytics/daily-sales/today/")
    there = cashier.client.get("/api/analytics/daily-sales/today/", HTTP_X_TENANT_KEY=other_tenant.key)
    assert (here.status_code, there.status_code) == (403, 200)
    assert cashier.client.get("/api/analytics/daily-sales/today/").status_code == 403
    assert cashier.client.get(CUSTOMERS, HTTP_X_TENANT_KEY="not-mine").status_code == 403
    assert cashier.client.get(CUSTOMERS, HTTP_X_TENANT_KEY="odd key ✓").status_code == 403


def test_a_flushed_cache_is_a_miss_not_a_stale_hit(cashier):
    assert cashier.client.get(CUSTOMERS).status_code == 200
    cache.clear()
    _, sqls = _queries(cashier.client)
    assert len(_auth_queries(sqls)) == 2


def test_a_sign_out_while_the_cache_is_away_still_refuses_the_token_after(cashier, monkeypatch):
    """The generation lives in the database and changes with the sign-out's COMMIT: the entry the
    shared cache kept from before is never used again, whether or not the cache was reachable."""
    refresh = RefreshToken.for_user(cashier.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
    client.defaults["HTTP_X_TENANT_KEY"] = cashier.tenant.key
    assert client.get(CUSTOMERS).status_code == 200
    assert client.get(CUSTOMERS).status_code == 200  # from the cached entry

    def away(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    with monkeypatch.context() as patched:
        for name in ("set", "delete", "set_many", "delete_many"):  # the old renewal's writes
            patched.setattr(cache, name, away)
        assert client.post("/api/v1/auth/logout", {"refresh_token": str(refresh)}, format="json").status_code == 200
    assert client.get(CUSTOMERS).status_code == 401


@pytest.mark.skipif(not principals.enabled(), reason="needs the principal cache (Redis)")
def test_a_cached_answer_for_a_known_token_is_one_statement(cashier, settings):
    settings.SAVDO_RESPONSE_CACHE = True
    for _ in range(3):
        cashier.client.get(CUSTOMERS)
    response, sqls = _queries(cashier.client)
    assert response.status_code == 200
    assert len(sqls) == 1 and "core_dataversion" in sqls[0]  # the generation and the data versions


def _jti(client) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    header = client._credentials["HTTP_AUTHORIZATION"]
    return str(AccessToken(header.split()[1])["jti"])


def test_a_token_is_decoded_once_per_process_and_still_refused_once_expired(cashier, monkeypatch):
    """`CachedJWTAuthentication.get_validated_token` remembers a token it checked; its expiry is
    checked on every request (simplejwt's leeway included), and other bytes are checked afresh."""
    import time
    from datetime import UTC, datetime

    from rest_framework_simplejwt import tokens
    from rest_framework_simplejwt.authentication import JWTAuthentication

    from savdo.api.authentication import CachedJWTAuthentication

    token = RefreshToken.for_user(cashier.user).access_token
    raw = str(token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    decoded = []
    real = JWTAuthentication.get_validated_token

    def counting(self, raw_token):
        decoded.append(raw_token)
        return real(self, raw_token)

    monkeypatch.setattr(JWTAuthentication, "get_validated_token", counting)
    CachedJWTAuthentication._checked.clear()
    assert client.get(CUSTOMERS).status_code == 200
    assert client.get(CUSTOMERS).status_code == 200
    assert len(decoded) == 1

    tampered = raw[:-2] + ("AA" if not raw.endswith("AA") else "BB")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tampered}")
    assert client.get(CUSTOMERS).status_code == 401
    assert client.get(CUSTOMERS).status_code == 401  # refusals are not remembered
    assert len(decoded) == 3

    later = token["exp"] + 1  # both clocks: ours (time.time) and simplejwt's (a datetime)
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(tokens, "aware_utcnow", lambda: datetime.fromtimestamp(later, tz=UTC))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(CUSTOMERS).status_code == 401  # expired: simplejwt refuses it again
