"""Per-tenant data versions: the one thing every read cache here is keyed on.

A version is a random token in the shared cache under `<kind>:v:<scope>:<tenant id>`. A cached
answer (a list total, a rendered response) is stored under the versions it was computed with,
read *before* computing; a write to the scope gives the tenant a new version, so an answer that
might predate the write is never read again. Kinds:

- `data`: every write to a model with a `data_scope` (or `count_scope`) - row saves and deletes,
  queryset `update`/`bulk_create`/`bulk_update`/`delete`, many-to-many changes;
- `count`: only writes that can change which rows a list holds (see savdo/core/counts.py).

When a write happens inside a transaction, the new versions are set once, when it commits
(`transaction.on_commit`); a reader that ran in between computed from the data as it was before
the commit and stored it under the old version, which nobody reads afterwards. Outside a
transaction (and in tests, whose wrapping transaction never commits) they are set at once.

A write that bypasses the ORM (raw SQL, COPY) must call `bump` itself; `savdo generate` does.

A renewal that fails (the shared cache unreachable at commit) does not fail the write, which has
committed: the process keeps the keys it owes and renews them before it reads any version again
(`current`); until it manages to, it reads nothing from the caches and computes every answer. Other
processes cannot know what it owes: if the cache stayed up for them while this process could not
reach it, they may serve an answer older than the write until this process's next cached read or
write renews the keys (or, at the latest, until the answer's own timeout).
"""

import hashlib
import logging
import secrets
import threading
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction

logger = logging.getLogger("savdo.versions")

# Version keys this process failed to renew, renewed before it reads any version again.
_owed: set[str] = set()
_owed_lock = threading.Lock()


def key(kind: str, scope: str, tenant_id) -> str:
    return f"{kind}:v:{scope}:{tenant_id}"


def digest(parts) -> str:
    """A short stable name for everything a cached value depends on (`repr` of plain values)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def enabled() -> bool:
    return settings.SAVDO_CACHED_COUNTS or settings.SAVDO_RESPONSE_CACHE


def in_transaction(connection) -> bool:
    """Inside a transaction of our own (the test case's wrapping transaction, which Django marks
    `_from_testcase`, does not count: tests see the caches as production does)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


class _Pending:
    """The versions a transaction will renew when it commits (one cache write for all of them)."""

    def __init__(self):
        self.keys: set[str] = set()
        self.done = False

    def flush(self) -> None:
        """Renew the keys once, or owe them if the cache cannot be reached (see the module)."""
        if not self.done and self.keys:
            self.done = True
            _renew_or_owe(self.keys)


def _new_version() -> int:
    """A random version: an int, which the Redis cache stores as a plain number (no pickling)."""
    return secrets.randbits(62)


def _renew(keys: Iterable[str]) -> None:
    values = {k: _new_version() for k in keys}
    client = getattr(cache, "client", None)
    if not hasattr(client, "get_client"):  # not django-redis
        cache.set_many(values, None)
        return
    # one MSET, where django-redis's `set_many` sends MULTI, a SET per key and EXEC, pickling each
    # value: every till request renews a version or two after its COMMIT
    client.get_client(write=True).mset({client.make_key(k): v for k, v in values.items()})


def _renew_or_owe(keys: Iterable[str]) -> None:
    """Renew the keys; if the cache cannot be reached, owe them (see the module)."""
    keys = set(keys)
    try:
        _renew(keys)
    except Exception:
        logger.exception(
            "could not renew %d data versions; this process serves no cached answer until it can", len(keys)
        )
        with _owed_lock:
            _owed.update(keys)


def _pay_owed() -> bool:
    """Renew what this process owes; whether it owes nothing now."""
    with _owed_lock:
        if not _owed:
            return True
        try:
            _renew(_owed)
        except Exception:
            return False
        _owed.clear()
        return True


def bump(keys: Iterable[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """Give these version keys new values: at once, or when the current transaction commits.

    The keys a transaction collects live on its connection (one per thread; not on the `Atomic`
    object, which a decorated function shares between threads). Each call registers the flush with
    `on_commit` (a savepoint that rolls back drops its own registration, not the others'); the
    flush runs once per transaction and renews every key collected in it, a superset of what
    survived, which is safe: an extra renewal only costs a cache miss. A transaction that rolls
    back leaves its keys to the connection's next one (renewed then, needlessly but harmlessly).
    """
    keys = set(keys)
    if not keys or not enabled():
        return
    connection = connections[using]
    blocks = connection.atomic_blocks
    if not blocks or getattr(blocks[0], "_from_testcase", False):
        _renew_or_owe(keys)
        return
    pending = getattr(connection, "_savdo_versions", None)
    if pending is None or pending.done:
        pending = connection._savdo_versions = _Pending()
    pending.keys |= keys
    transaction.on_commit(pending.flush, using=using, robust=True)


def current(keys: list[str]) -> list[str] | None:
    """The values of these version keys, or None if one is missing (then it is created, and the
    caller computes without caching this time). None too while this process owes renewals it cannot
    make (see the module)."""
    if _owed and not _pay_owed():
        return None
    found = cache.get_many(keys)
    if len(found) == len(keys):
        return [found[k] for k in keys]
    for missing in set(keys) - set(found):
        cache.add(missing, _new_version(), None)
    return None


def tenant_changed(tenant_id, scopes: Iterable[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """Every data version of a tenant (its settings - time zone, currency - shape every answer)."""
    bump([key("data", scope, tenant_id) for scope in scopes], using=using)
