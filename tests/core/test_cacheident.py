"""Shared-cache keys carry the database's identity (savdo/core/cacheident.py): two databases on one
Redis, or a database restored under the same name, never meet each other's cached entries."""

import uuid

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection
from django.db.backends.signals import connection_created

from savdo.core import cacheident

pytestmark = pytest.mark.django_db


def test_every_key_names_the_database():
    assert cache.make_key("data:v:customers:1").split(":")[1] == cacheident.database_identity()
    assert cacheident.database_identity() == cacheident.identity_of(connection)


def test_an_entry_of_another_database_is_not_found(monkeypatch):
    key = f"answer-{uuid.uuid4()}"
    cache.set(key, "from this database", 60)
    monkeypatch.setattr(cacheident, "_identity", "pg1.2")  # what another database's processes use
    assert cache.get(key) is None
    cache.set(key, "from the other database", 60)
    monkeypatch.undo()
    assert cache.get(key) == "from this database"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: databases of one server")
def test_another_database_and_a_recreated_one_have_other_identities():
    mine = cacheident.identity_of(connection)
    settings = connection.settings_dict
    params = {"user": settings["USER"], "host": settings["HOST"] or None, "port": settings["PORT"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        system, postgres_oid = admin.execute(cacheident._POSTGRESQL).fetchone()
        admin.execute("DROP DATABASE IF EXISTS savdo_identity_probe")
        admin.execute("CREATE DATABASE savdo_identity_probe")
        first = admin.execute("SELECT oid::text FROM pg_database WHERE datname = 'savdo_identity_probe'").fetchone()
        admin.execute("DROP DATABASE savdo_identity_probe")
        admin.execute("CREATE DATABASE savdo_identity_probe")  # as a restore from a dump does
        second = admin.execute("SELECT oid::text FROM pg_database WHERE datname = 'savdo_identity_probe'").fetchone()
        admin.execute("DROP DATABASE savdo_identity_probe")
    assert mine.startswith(f"pg{system}.")
    assert mine != f"pg{system}.{postgres_oid}"
    assert first != second


def test_a_new_connection_reads_the_identity_again(monkeypatch):
    monkeypatch.setattr(cacheident, "_identity", "stale")
    connection_created.send(sender=type(connection), connection=connection)  # as connect() does
    assert cacheident.database_identity() == cacheident.identity_of(connection)
