"""The per-user throttle: counted with authentication's cache read when the principal cache is on
(one Redis round trip for both), and limiting as before."""

import pytest
from django.core.cache import cache

from savdo.api import principals, throttling
from savdo.api.throttling import UserRateThrottle
from savdo.tenancy.models import Role
from tests.conftest import Member

CUSTOMERS = "/api/customers/customers/"


@pytest.fixture
def cashier(tenant):
    cache.clear()
    return Member(tenant, Role.CASHIER)


def test_the_user_rate_limits_a_signed_in_client(cashier, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min"})
    statuses = [cashier.client.get(CUSTOMERS).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.skipif(not principals.enabled(), reason="needs the principal cache (Redis)")
def test_with_the_principal_cache_the_count_rides_on_its_round_trip(cashier, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/min"})

    def separate_round_trip(key, seconds):
        raise AssertionError(f"counted on its own: {key}")

    monkeypatch.setattr(throttling, "window_hit", separate_round_trip)
    statuses = [cashier.client.get(CUSTOMERS).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert cache.get(f"throttle_user_{cashier.user.pk}") == 3


def test_a_view_without_the_user_throttle_counts_nothing():
    class View:
        throttle_classes = [throttling.AnonRateThrottle]

    assert UserRateThrottle.window_for(View(), 5) is None
    assert UserRateThrottle.window_for(None, 5) is None
    View.throttle_classes = [UserRateThrottle]
    key, seconds = UserRateThrottle.window_for(View(), 5)
    assert key == "throttle_user_5" and seconds == 60
