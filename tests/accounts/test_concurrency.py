"""Concurrent use of one refresh token: exactly one request gets a new pair (PostgreSQL, real threads)."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import UserFactory

THREADS = 20


def _race(path: str, body: dict) -> list[int]:
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            client = APIClient()
            barrier.wait(timeout=30)
            response = client.post(path, body, format="json", REMOTE_ADDR=f"10.20.0.{index}")
            with lock:
                statuses.append(response.status_code)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return statuses


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "field"), [("/api/auth/refresh/", "refresh"), ("/api/v1/auth/refresh", "refreshToken")]
)
def test_twenty_concurrent_refreshes_with_one_token_exactly_one_succeeds(path, field):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks and concurrent transactions)")
    user = UserFactory()
    refresh = RefreshToken.for_user(user)
    outstanding_before = OutstandingToken.objects.filter(user=user).count()

    statuses = _race(path, {field: str(refresh)})

    assert len(statuses) == THREADS
    assert statuses.count(200) == 1, statuses
    assert statuses.count(401) == THREADS - 1, statuses
    assert BlacklistedToken.objects.filter(token__jti=refresh["jti"]).count() == 1
    # only the winner's new refresh token was issued
    assert OutstandingToken.objects.filter(user=user).count() == outstanding_before + 1
