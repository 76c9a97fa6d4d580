"""The database's identity in every shared-cache key.

Cached answers, list totals, principals and the data versions they hang on live in Redis; the data
lives in the database. Two databases on one Redis (a staging and a production database, two
developers' databases) or a database dropped and restored from a dump must never meet each other's
entries: a version renewed by one would say nothing about the other's data. So every key carries
the identity of the database it was computed from (`CACHES["default"]["KEY_FUNCTION"]`):

- PostgreSQL: the cluster's system identifier (a new one for every `initdb`) and the database's oid
  (a new one whenever the database is created again, as a restore from a dump does);
- SQLite: the database file's device and inode (a copied or restored file is a new inode).

The identity is read on every new database connection (one small query; connections are kept), so
a process that outlives a restore reconnects and moves to the new key space with the others.
"""

import hashlib
import os

from django.db import connections
from django.db.backends.signals import connection_created

_identity: str | None = None

_POSTGRESQL = (
    "SELECT (SELECT system_identifier FROM pg_control_system())::text, oid::text "
    "FROM pg_database WHERE datname = current_database()"
)


def identity_of(connection) -> str:
    """The identity of the database behind `connection` (an open Django connection)."""
    if connection.vendor == "postgresql":
        with connection.connection.cursor() as cursor:  # the driver's cursor: no execute wrappers
            cursor.execute(_POSTGRESQL)
            system, oid = cursor.fetchone()
        return f"pg{system}.{oid}"
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and os.path.exists(name):
        stat = os.stat(name)
        return f"sqlite{stat.st_dev}.{stat.st_ino}"
    return f"{connection.vendor}.{hashlib.blake2b(name.encode(), digest_size=8).hexdigest()}"


def database_identity() -> str:
    """The default database's identity, read once per process (and again on every new connection)."""
    global _identity
    if _identity is None:
        connection = connections["default"]
        connection.ensure_connection()  # connection_created sets _identity
        if _identity is None:
            _identity = identity_of(connection)
    return _identity


def make_key(key: str, key_prefix: str, version) -> str:
    """Django's cache key function, with the database's identity after the prefix."""
    return f"{key_prefix}:{database_identity()}:{version}:{key}"


def _connection_created(sender, connection, **kwargs) -> None:
    global _identity
    if connection.alias == "default":
        _identity = identity_of(connection)


connection_created.connect(_connection_created, dispatch_uid="savdo.core.cacheident")
