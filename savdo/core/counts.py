"""Exact list totals without counting every row on every page.

The documents' lists return an exact `count`. For a big tenant that is the most expensive part of
a page (an index scan over 200,000 customers is ~20 ms), and people page through the same list or
search: page 2, 3, ... and the next visit to page 1 ask for the same total. So totals are cached,
and kept exact by a version per (count scope, tenant):

- a model opts in with `count_scope = "<name>"` (models whose rows a list's filters read share a
  scope: customers and their groups, because the VIP list filters on the group's discount);
- every write to such a model starts a new version for its tenant, right away and again when the
  transaction commits: `save()`/`delete()` through the signals connected in `connect()`, bulk
  writes through `changed()`, which the models' querysets call (see `CustomerQuerySet`);
- a total is stored under the version read *before* counting, so a count that saw the data before
  a write carries the old version and is never read again;
- no version yet (a fresh cache, an evicted key): count, and let the next request use the cache;
- inside a transaction nothing is cached (it could see its own uncommitted rows).

The key is the count query's own SQL and parameters, so every filter, search term and tenant has
its own total. A deliberate exception: querysets may skip `changed()` for fields no list filters
on (purchase statistics written by every sale), see `CustomerQuerySet.COUNT_NEUTRAL_FIELDS`.
"""

import hashlib
import secrets

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save

COUNT_TIMEOUT = 3600


def _version_key(scope: str, tenant_id) -> str:
    return f"count:v:{scope}:{tenant_id}"


def _in_transaction(connection) -> bool:
    """Inside a transaction of our own (the test case's wrapping transaction, which Django marks
    `_from_testcase`, does not count: tests see the cache as production does)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def cached_count(queryset: QuerySet, *, tenant_id) -> int:
    """`queryset.count()`, answered from the cache while no write touched the tenant's scope."""
    scope = getattr(queryset.model, "count_scope", None)
    if scope is None or tenant_id is None or not settings.SAVDO_CACHED_COUNTS:
        return queryset.count()
    if _in_transaction(connections[queryset.db]):
        return queryset.count()
    version_key = _version_key(scope, tenant_id)
    version = cache.get(version_key)
    if version is None:
        cache.add(version_key, secrets.token_hex(8), None)
        return queryset.count()
    sql, params = queryset.order_by().values_list("pk").query.sql_with_params()
    digest = hashlib.blake2b(repr((queryset.db, sql, params)).encode(), digest_size=16).hexdigest()
    key = f"count:{scope}:{tenant_id}:{version}:{digest}"
    total = cache.get(key)
    if total is None:
        total = queryset.count()
        cache.set(key, total, COUNT_TIMEOUT)
    return total


def changed(scope: str, tenant_ids) -> None:
    """Totals of these tenants' lists in `scope` may have changed: new versions now and on commit."""
    if not settings.SAVDO_CACHED_COUNTS:
        return
    keys = [_version_key(scope, tenant_id) for tenant_id in set(tenant_ids) if tenant_id is not None]
    if not keys:
        return

    def bump():
        cache.set_many({key: secrets.token_hex(8) for key in keys}, None)

    bump()
    transaction.on_commit(bump)


def _row_changed(sender, instance, **kwargs):
    changed(sender.count_scope, [instance.tenant_id])


def _links_changed(sender, instance, action, **kwargs):
    if action.startswith("post_") and hasattr(instance, "tenant_id"):
        changed(type(instance).count_scope, [instance.tenant_id])


def connect() -> None:
    """Connect save/delete (and many-to-many) receivers for every model with a `count_scope`
    (CoreConfig.ready)."""
    for model in apps.get_models():
        if getattr(model, "count_scope", None):
            uid = f"counts_{model._meta.label_lower}"
            post_save.connect(_row_changed, sender=model, dispatch_uid=uid + "_save")
            post_delete.connect(_row_changed, sender=model, dispatch_uid=uid + "_delete")
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    _links_changed, sender=field.remote_field.through, dispatch_uid=f"{uid}_{field.name}"
                )
