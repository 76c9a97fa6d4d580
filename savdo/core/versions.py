"""Per-tenant data versions: the one thing every read cache here is keyed on.

A version is a random number kept in the database, one row per `<kind>:v:<scope>:<tenant id>` in
`core_dataversion`. A cached answer (a list total, a rendered response) is stored under the versions
it was computed with, read *before* computing; a write to the scope gives the tenant's key a new
value, so an answer that might predate the write is never read again. Kinds:

- `data`: every write to a model with a `data_scope` (or `count_scope`) - row saves and deletes,
  queryset `update`/`bulk_create`/`bulk_update`/`delete`, many-to-many changes;
- `count`: only writes that can change which rows a list holds (see savdo/core/counts.py).

The new values are written **in the writing transaction**, by one statement just before its COMMIT
(`VersionedCommits`, the database backends' commit): they become visible exactly when the data they
stand for does. A reader that ran before the commit read the old values and stored its answer under
them, which nobody reads afterwards. There is nothing to renew after the commit, so nothing can fail
then: wherever the answers themselves live (Redis, a process's memory), and whether that store was
away, flushed or restored, an answer is only ever found under the versions the database holds now.
A write outside a transaction writes its versions at once, in the next statement.

The keys are locked in one order, last in the transaction (after the foreign-key checks PostgreSQL
would otherwise run at the COMMIT, which lock the rows they find), so two writers of one tenant wait
for each other only for the other's COMMIT and can never deadlock on them. In tests, whose wrapping
transaction never commits, a write's versions are written when the test's own outermost atomic block
(a request's transaction) ends, or at once outside one.

A write that bypasses the ORM (raw SQL, COPY) must call `bump` itself; `savdo generate` does.
"""

import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from savdo.core.sql import prepared

TABLE = "core_dataversion"
# The readers' statement: one constant text, so PostgreSQL prepares it once per connection and the
# row-level security binding is not sent for it (the table holds no tenant's data).
READ_POSTGRESQL = prepared(f"SELECT key, value FROM {TABLE} WHERE key = ANY(%s)")


def key(kind: str, scope: str, tenant_id) -> str:
    return f"{kind}:v:{scope}:{tenant_id}"


def digest(parts) -> str:
    """A short stable name for everything a cached value depends on (`repr` of plain values)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def enabled() -> bool:
    return settings.SAVDO_CACHED_COUNTS or settings.SAVDO_RESPONSE_CACHE or settings.SAVDO_PRINCIPAL_CACHE


def in_transaction(connection) -> bool:
    """Inside a transaction of our own (the test case's wrapping transaction, which Django marks
    `_from_testcase`, does not count: tests see the caches as production does)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _new_version() -> int:
    return secrets.randbits(62)


def _write(connection, keys: Iterable[str]) -> None:
    """Give `keys` new values: one statement, rows in key order (see the module)."""
    keys = sorted(keys)
    rows = ", ".join(["(%s, %s)"] * len(keys))
    params = [value for k in keys for value in (k, _new_version())]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (key, value) VALUES {rows} ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params,
        )


def _deferred(connection) -> bool:
    """Whether writes on `connection` now belong to a transaction that commits later (in a test
    case: whose outermost block of the test's own ends by releasing a savepoint)."""
    blocks = connection.atomic_blocks
    if not blocks:
        return not connection.get_autocommit()
    if not getattr(blocks[0], "_from_testcase", False):
        return True
    for index, block in enumerate(blocks):
        if not getattr(block, "_from_testcase", False):
            # The blocks after the first hold a savepoint id each (None: a block without one, as
            # Django's own `savepoint=False` blocks in deletes and bulk updates, whose end is not seen).
            sids = connection.savepoint_ids
            return index - 1 < len(sids) and sids[index - 1] is not None
    return False


def bump(keys: Iterable[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """Give these version keys new values: with the current transaction's COMMIT, or at once.

    The keys a transaction collects live on its connection (one per thread). A savepoint that rolls
    back keeps what it collected, a superset of what survived, which is safe: an extra renewal only
    costs a cache miss. A transaction that rolls back drops them."""
    keys = set(keys)
    if not keys or not enabled():
        return
    connection = connections[using]
    if not _deferred(connection):
        _write(connection, keys)
        return
    pending = getattr(connection, "savdo_versions_pending", None)
    if pending is None:
        pending = connection.savdo_versions_pending = set()
    pending |= keys


# Django's foreign keys on PostgreSQL are checked at the COMMIT (DEFERRABLE INITIALLY DEFERRED), and
# each check locks the row it finds (FOR KEY SHARE). Checked after the versions were written, they
# could wait for a row another writer locked while that writer waits for a version row: a deadlock.
# So they are checked first, and the version rows are truly the last rows a transaction locks.
CHECK_CONSTRAINTS_NOW = prepared("SET CONSTRAINTS ALL IMMEDIATE")


def flush(connection) -> None:
    """Write the versions the ending transaction collected (`VersionedCommits`)."""
    pending = getattr(connection, "savdo_versions_pending", None)
    if pending:
        connection.savdo_versions_pending = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(CHECK_CONSTRAINTS_NOW)
        _write(connection, pending)


def discard(connection) -> None:
    connection.savdo_versions_pending = None


def current(keys: list[str], using: str = DEFAULT_DB_ALIAS) -> list[int]:
    """The values of these version keys as the database holds them now (0 for a key never written).
    Called outside a transaction: each reader sees what has committed."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(READ_POSTGRESQL, [list(keys)])
        else:
            cursor.execute(f"SELECT key, value FROM {TABLE} WHERE key IN ({', '.join(['%s'] * len(keys))})", keys)
        found = dict(cursor.fetchall())
    return [found.get(k, 0) for k in keys]


def tenant_changed(tenant_id, scopes: Iterable[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """Every data version of a tenant (its settings - time zone, currency - shape every answer)."""
    bump([key("data", scope, tenant_id) for scope in scopes], using=using)


class VersionedCommits:
    """A database backend's wrapper that writes a transaction's versions just before its COMMIT.

    `commit()` is what `transaction.atomic` calls for the outermost block; the write joins the
    transaction, so an error in it rolls the whole transaction back, as an error in any statement.
    In a test case, whose wrapping blocks never commit, the release of the outermost block of the
    test's own stands in for the COMMIT."""

    def commit(self):
        flush(self)
        super().commit()

    def rollback(self):
        discard(self)
        super().rollback()

    def savepoint_commit(self, sid):
        if self.atomic_blocks and all(getattr(b, "_from_testcase", False) for b in self.atomic_blocks):
            flush(self)
        super().savepoint_commit(sid)

    def savepoint_rollback(self, sid):
        if self.atomic_blocks and all(getattr(b, "_from_testcase", False) for b in self.atomic_blocks):
            discard(self)
        super().savepoint_rollback(sid)
