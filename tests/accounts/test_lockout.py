"""Failed logins lock the username (django-axes) whatever the client address; request throttles
(429) count in the cache."""

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import ScopedRateThrottle

from tests.conftest import clear_cache
from tests.factories import PASSWORD, MembershipFactory, UserFactory

LIMIT = settings.AXES_FAILURE_LIMIT
LOCKED = {
    "ru": "Слишком много неудачных попыток входа. Повторите попытку позже.",
    "en": "Too many failed login attempts. Try again later.",
}


def fail(client, username: str, address: str):
    return client.post(
        "/api/users/auth/login/", {"username": username, "password": "wrong-password"}, REMOTE_ADDR=address
    )


def test_settings_lock_by_username_only():
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]
    assert 1 < LIMIT <= 10


def test_failures_from_many_addresses_lock_the_username(anon):
    user = MembershipFactory().user
    for attempt in range(LIMIT - 1):
        response = fail(anon, user.username, f"10.0.{attempt}.1")
        assert response.status_code == 401, (attempt, response.content)
    # the failure that reaches the limit locks the username
    locked = fail(anon, user.username, "10.9.9.9")
    assert locked.status_code == 429
    assert locked.json() == {"status": "error", "message": LOCKED["ru"]}
    assert int(locked["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    # now even the right password, from yet another address, is refused on every surface
    right = {"username": user.username, "password": PASSWORD}
    retail = anon.post("/api/users/auth/login/", right, REMOTE_ADDR="192.0.2.10")
    assert retail.status_code == 429
    assert retail.json() == {"status": "error", "message": LOCKED["ru"]}
    telecom = anon.post("/api/auth/login/", right, REMOTE_ADDR="192.0.2.11", HTTP_ACCEPT_LANGUAGE="en")
    assert telecom.status_code == 429
    assert telecom.json() == {"status": "error", "message": LOCKED["en"]}
    crm = anon.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.12")
    assert crm.status_code == 429
    assert crm.json() == {"success": False, "error": {"code": "TOO_MANY_REQUESTS", "message": LOCKED["ru"]}}
    assert crm["Content-Type"] == "application/json"


def test_a_lock_is_per_username(anon):
    locked_user = UserFactory()
    other = UserFactory()
    for attempt in range(LIMIT):
        fail(anon, locked_user.username, f"10.1.{attempt}.1")
    response = anon.post("/api/auth/login/", {"username": other.username, "password": PASSWORD}, REMOTE_ADDR="10.1.0.1")
    assert response.status_code == 200


def test_failures_through_different_surfaces_add_up(anon):
    user = UserFactory()
    for attempt in range(LIMIT - 1):
        if attempt % 2:
            anon.post("/api/auth/login/", {"username": user.username, "password": "x"}, REMOTE_ADDR=f"10.2.{attempt}.1")
        else:
            anon.post("/api/v1/auth/login", {"email": user.email, "password": "x"}, REMOTE_ADDR=f"10.2.{attempt}.1")
    assert fail(anon, user.username, "10.2.99.1").status_code == 429


def test_a_successful_login_resets_the_count(anon):
    user = UserFactory()
    for attempt in range(LIMIT - 1):
        assert fail(anon, user.username, f"10.3.{attempt}.1").status_code == 401
    ok = anon.post("/api/users/auth/login/", {"username": user.username, "password": PASSWORD})
    assert ok.status_code == 200
    for attempt in range(LIMIT - 1):
        assert fail(anon, user.username, f"10.4.{attempt}.1").status_code == 401


def test_unknown_emails_do_not_count_against_anyone(anon):
    user = UserFactory()
    for attempt in range(LIMIT + 2):
        response = anon.post("/api/v1/auth/login", {"email": f"ghost{attempt}@example.com", "password": "x"})
        assert response.status_code == 401
    assert anon.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}).status_code == 200


# --- request throttles -----------------------------------------------------------------------


@pytest.fixture
def auth_rate(monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES, "auth": "3/min"})


@pytest.mark.parametrize(
    ("path", "shape"),
    [("/api/users/auth/login/", "drf"), ("/api/auth/refresh/", "drf"), ("/api/v1/auth/refresh", "crm")],
)
def test_sign_in_endpoints_are_throttled_per_address_in_the_cache(anon, auth_rate, path, shape):
    for _ in range(3):
        assert anon.post(path, {}, REMOTE_ADDR="203.0.113.5").status_code == 400
    throttled = anon.post(path, {}, REMOTE_ADDR="203.0.113.5")
    assert throttled.status_code == 429
    assert 1 <= int(throttled["Retry-After"]) <= 60
    if shape == "crm":
        assert throttled.json()["error"]["code"] == "TOO_MANY_REQUESTS"
    else:
        assert throttled.json()["message"].startswith("Слишком много запросов. Повторите через")
    # another address is not affected
    assert anon.post(path, {}, REMOTE_ADDR="203.0.113.6").status_code == 400
    # the counts live in the cache: clearing it lifts the throttle
    assert cache.get("throttle_auth_203.0.113.5") is not None
    clear_cache()
    assert anon.post(path, {}, REMOTE_ADDR="203.0.113.5").status_code == 400


def _num_proxies():
    from rest_framework.settings import api_settings

    return api_settings.NUM_PROXIES


def test_a_forged_forwarded_for_header_does_not_dodge_the_throttle(anon, auth_rate):
    for attempt in range(3):
        anon.post("/api/auth/refresh/", {}, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")
    response = anon.post("/api/auth/refresh/", {}, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429
