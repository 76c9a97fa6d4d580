"""The PostgreSQL backend pings only connections that sat idle (savdo/core/postgresql/base.py)."""

import pytest
from django.db import connections

from savdo.core.postgresql import base

connection = connections["default"]
pytestmark = [
    pytest.mark.django_db(transaction=True),  # a request's connection: autocommit, no test transaction
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend"),
]


def _pings(monkeypatch) -> list:
    pings = []
    real = type(connection).is_usable

    def is_usable(self):
        pings.append(self.alias)
        return real(self)

    monkeypatch.setattr(type(connection), "is_usable", is_usable)
    return pings


def _next_request_query():
    """What a request does: Django's request-start check, then a query."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_a_connection_busy_a_moment_ago_is_not_pinged_an_idle_one_is(monkeypatch):
    assert isinstance(connection, base.DatabaseWrapper)
    assert connection.health_check_enabled
    connection.ensure_connection()
    pings = _pings(monkeypatch)
    _next_request_query()
    assert pings == []
    monkeypatch.setattr(connection, "_last_used", connection._last_used - base.HEALTH_CHECK_AFTER_IDLE - 0.1)
    _next_request_query()
    assert pings == ["default"]
    _next_request_query()  # used just now again
    assert pings == ["default"]


def test_a_dead_idle_connection_is_replaced_before_the_query(monkeypatch):
    connection.ensure_connection()
    old = connection.connection
    monkeypatch.setattr(type(connection), "is_usable", lambda self: False)
    monkeypatch.setattr(connection, "_last_used", 0.0)
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.connection is not old
