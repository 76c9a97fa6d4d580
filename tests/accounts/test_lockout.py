"""Failed logins lock a username from one client address (django-axes), a username failing from many
addresses backs off (savdo.accounts.lockout); request throttles (429) count in the cache."""

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import ScopedRateThrottle

from savdo.accounts import lockout
from tests.conftest import clear_cache
from tests.factories import PASSWORD, MembershipFactory, UserFactory

LIMIT = settings.AXES_FAILURE_LIMIT
FREE = settings.LOGIN_USERNAME_FREE_FAILURES
LOCKED = {
    "ru": "Слишком много неудачных попыток входа. Повторите попытку позже.",
    "en": "Too many failed login attempts. Try again later.",
}
BACKOFF = {
    "ru": "Слишком много неудачных попыток входа под этим именем пользователя. Повторите попытку позже.",
    "uz": (
        "Bu foydalanuvchi nomi bilan kirishga juda ko'p muvaffaqiyatsiz urinishlar bo'ldi. "
        "Keyinroq qayta urinib ko'ring."
    ),
    "en": "Too many failed login attempts for this username. Try again later.",
}


def fail(client, username: str, address: str):
    return client.post(
        "/api/users/auth/login/", {"username": username, "password": "wrong-password"}, REMOTE_ADDR=address
    )


def sign_in(client, username: str, address: str, path: str = "/api/users/auth/login/"):
    return client.post(path, {"username": username, "password": PASSWORD}, REMOTE_ADDR=address)


@pytest.fixture
def clock(monkeypatch):
    """The backoff's clock, moved by hand (no sleeping)."""

    class Clock:
        moment = 1_800_000_000.0

        def __call__(self):
            return self.moment

    frozen = Clock()
    monkeypatch.setattr(lockout, "now", frozen)
    return frozen


def test_settings_lock_by_username_and_address():
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert 1 < LIMIT <= 10
    assert LIMIT < FREE  # one address is stopped by its own lock long before the username backs off


def test_a_stranger_locks_only_their_own_address_out_of_a_username(anon):
    user = MembershipFactory().user
    for attempt in range(LIMIT - 1):
        response = fail(anon, user.username, "10.9.9.9")
        assert response.status_code == 401, (attempt, response.content)
    # the failure that reaches the limit locks this username from this address
    locked = fail(anon, user.username, "10.9.9.9")
    assert locked.status_code == 429
    assert locked.json() == {"status": "error", "message": LOCKED["ru"]}
    assert int(locked["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    # from that address even the right password is refused, on every surface
    right = {"username": user.username, "password": PASSWORD}
    assert anon.post("/api/users/auth/login/", right, REMOTE_ADDR="10.9.9.9").status_code == 429
    telecom = anon.post("/api/auth/login/", right, REMOTE_ADDR="10.9.9.9", HTTP_ACCEPT_LANGUAGE="en")
    assert telecom.status_code == 429
    assert telecom.json() == {"status": "error", "message": LOCKED["en"]}
    crm = anon.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, REMOTE_ADDR="10.9.9.9")
    assert crm.status_code == 429
    assert crm.json() == {"success": False, "error": {"code": "TOO_MANY_REQUESTS", "message": LOCKED["ru"]}}
    assert crm["Content-Type"] == "application/json"
    # the user, on their own address, signs in on every surface
    assert sign_in(anon, user.username, "192.0.2.10").status_code == 200
    assert sign_in(anon, user.username, "192.0.2.10", "/api/auth/login/").status_code == 200
    crm_ok = anon.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.10")
    assert crm_ok.status_code == 200


def test_a_locked_address_keeps_refusing_without_counting_against_the_username(anon):
    user = UserFactory()
    for _ in range(LIMIT + FREE + 5):  # hammering on after the lock: refused unchecked, not counted
        fail(anon, user.username, "10.8.8.8")
    assert sign_in(anon, user.username, "192.0.2.20").status_code == 200


def test_failures_from_a_few_addresses_lock_nobody_else_out(anon):
    user = UserFactory()
    addresses = [f"10.0.{n}.1" for n in range((FREE - 1) // (LIMIT - 1))]  # fewer failures than FREE
    for address in addresses:
        for _ in range(LIMIT - 1):
            assert fail(anon, user.username, address).status_code == 401
    assert sign_in(anon, user.username, "192.0.2.30").status_code == 200


def test_a_lock_is_per_username(anon):
    locked_user = UserFactory()
    other = UserFactory()
    for _attempt in range(LIMIT):
        fail(anon, locked_user.username, "10.1.0.1")
    response = anon.post("/api/auth/login/", {"username": other.username, "password": PASSWORD}, REMOTE_ADDR="10.1.0.1")
    assert response.status_code == 200


def test_failures_through_different_surfaces_add_up(anon):
    user = UserFactory()
    for attempt in range(LIMIT - 1):
        if attempt % 2:
            anon.post("/api/auth/login/", {"username": user.username, "password": "x"}, REMOTE_ADDR="10.2.0.1")
        else:
            anon.post("/api/v1/auth/login", {"email": user.email, "password": "x"}, REMOTE_ADDR="10.2.0.1")
    assert fail(anon, user.username, "10.2.0.1").status_code == 429
    assert sign_in(anon, user.username, "10.2.0.2").status_code == 200


def test_a_successful_login_resets_the_count_of_its_address(anon):
    user = UserFactory()
    for _attempt in range(LIMIT - 1):
        assert fail(anon, user.username, "10.3.0.1").status_code == 401
    assert sign_in(anon, user.username, "10.3.0.1").status_code == 200
    for _attempt in range(LIMIT - 1):
        assert fail(anon, user.username, "10.3.0.1").status_code == 401


# --- the username's backoff ------------------------------------------------------------------


def fail_from_many_addresses(client, username: str, failures: int) -> None:
    for n in range(failures):
        response = fail(client, username, f"10.5.{n // (LIMIT - 1)}.{n % (LIMIT - 1) + 1}")
        assert response.status_code == 401, (n, response.content)


def test_a_username_failing_from_many_addresses_backs_off(anon, clock):
    user = UserFactory()
    fail_from_many_addresses(anon, user.username, FREE)
    # the next attempt, from anywhere, with any password, waits for its turn: no password is checked
    early = sign_in(anon, user.username, "192.0.2.40")
    assert early.status_code == 429
    assert early.json() == {"status": "error", "message": BACKOFF["ru"]}
    assert early["Retry-After"] == "1"
    crm = anon.post(
        "/api/v1/auth/login",
        {"email": user.email, "password": PASSWORD},
        REMOTE_ADDR="192.0.2.41",
        HTTP_ACCEPT_LANGUAGE="uz",
    )
    assert crm.status_code == 429
    assert crm.json() == {"success": False, "error": {"code": "TOO_MANY_REQUESTS", "message": BACKOFF["uz"]}}
    # its turn come, the owner signs in from any address
    clock.moment += 1
    assert sign_in(anon, user.username, "192.0.2.40").status_code == 200


def test_the_wait_doubles_with_each_failure_up_to_the_maximum(anon, clock):
    user = UserFactory()
    fail_from_many_addresses(anon, user.username, FREE)
    waits = []
    for n in range(10):
        clock.moment += 10_000  # its turn has come: one wrong guess goes through, and is counted
        assert fail(anon, user.username, f"10.6.{n}.1").status_code == 401
        refused = fail(anon, user.username, f"10.7.{n}.1")
        assert refused.status_code == 429
        waits.append(int(refused["Retry-After"]))
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60, 60, 60]
    assert settings.LOGIN_USERNAME_BACKOFF_MAX == 60


def test_one_attempt_per_turn(clock):
    username = "turns"
    for _ in range(FREE):
        lockout.username_failed(username)
    clock.moment += 1
    lockout.username_backoff_check(username)  # this attempt takes the turn
    with pytest.raises(lockout.LoginBackoff):
        lockout.username_backoff_check(username)  # a concurrent one waits
    lockout.username_signed_in(username)  # the right password: the turn is free again
    lockout.username_backoff_check(username)


def test_the_backoff_is_per_username_and_ignores_case(anon, clock):
    user = UserFactory(username="Dilnoza")
    other = UserFactory()
    for _ in range(FREE):
        lockout.username_failed("dilnoza")
    assert sign_in(anon, "Dilnoza", "192.0.2.50").status_code == 429
    assert sign_in(anon, other.username, "192.0.2.50").status_code == 200
    assert user.username == "Dilnoza"


def test_failures_age_out_of_the_backoff(anon, clock):
    user = UserFactory()
    for _ in range(FREE):
        lockout.username_failed(user.username)
    clear_cache()  # the counters live in the cache for the cool-off; gone, the username is free
    assert sign_in(anon, user.username, "192.0.2.60").status_code == 200


def test_backoff_seconds():
    assert [lockout.backoff_seconds(n) for n in (0, FREE - 1, FREE, FREE + 1, FREE + 5, FREE + 500)] == [
        0,
        0,
        1,
        2,
        32,
        settings.LOGIN_USERNAME_BACKOFF_MAX,
    ]


# --- the client's address --------------------------------------------------------------------


def _request(remote="203.0.113.9", forwarded=None):
    from django.test import RequestFactory

    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/api/users/auth/login/", **extra)


def test_client_address_without_proxies_ignores_forwarded_for():
    assert lockout.client_address(_request(forwarded="198.51.100.1")) == "203.0.113.9"


def test_client_address_behind_a_proxy(settings_proxies):
    assert lockout.client_address(_request(forwarded="198.51.100.1, 198.51.100.2")) == "198.51.100.2"
    assert lockout.client_address(_request(forwarded="not-an-address")) == "203.0.113.9"
    assert lockout.client_address(_request()) == "203.0.113.9"


@pytest.fixture
def settings_proxies(monkeypatch):
    from rest_framework.settings import api_settings

    monkeypatch.setattr(api_settings, "NUM_PROXIES", 1)


def test_a_junk_forwarded_for_behind_a_proxy_still_locks_by_the_real_address(anon, settings_proxies):
    user = UserFactory()
    for _ in range(LIMIT):
        anon.post(
            "/api/users/auth/login/",
            {"username": user.username, "password": "x"},
            REMOTE_ADDR="203.0.113.70",
            HTTP_X_FORWARDED_FOR="<script>",
        )
    assert sign_in(anon, user.username, "203.0.113.70").status_code == 429
    assert sign_in(anon, user.username, "203.0.113.71").status_code == 200


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
