"""Liveness and readiness probes."""

from django.db.utils import OperationalError


def test_healthz_needs_no_database(anon, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = anon.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_without_redis_checks_only_the_database(anon, settings):
    settings.REDIS_URL = ""
    response = anon.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_with_redis_checks_the_cache_round_trip(anon, settings):
    settings.REDIS_URL = "redis://configured.example:6379/0"  # the local cache stands in for it
    response = anon.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


class FailingCache:
    def set(self, *args, **kwargs):
        raise ConnectionError("redis is down")

    def get(self, *args, **kwargs):
        raise ConnectionError("redis is down")


def test_readyz_is_503_when_redis_fails(anon, settings, monkeypatch):
    settings.REDIS_URL = "redis://configured.example:6379/0"
    monkeypatch.setattr("savdo.api.health.cache", FailingCache())
    response = anon.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "error: ConnectionError"}}


def test_readyz_is_503_when_the_database_fails(anon, monkeypatch):
    class BrokenConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("savdo.api.health.connection", BrokenConnection())
    response = anon.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error: OperationalError"


def test_probes_need_no_token_and_no_tenant(anon):
    assert anon.get("/healthz/").status_code == 200
    assert anon.get("/readyz/").status_code == 200
