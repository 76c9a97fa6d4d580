"""Exact list totals without counting every row on every page.

The documents' lists return an exact `count`. For a big tenant that is the most expensive part of
a page (an index scan over 200,000 customers is ~20 ms), and people page through the same list or
search: page 2, 3, ... and the next visit to page 1 ask for the same total. So totals are cached,
and kept exact by a version per (count scope, tenant):

- a model opts in with `count_scope = "<name>"` (models whose rows a list's filters read share a
  scope: customers and their groups, because the VIP list filters on the group's discount);
- every write to such a model starts a new version for its tenant, in its own transaction
  (savdo/core/versions.py): `save()`/`delete()` through the signals connected in
  `connect()`, bulk writes through `changed()`, which `TenantQuerySet` calls;
- a total is stored under the version read *before* counting, so a count that saw the data before
  a write carries the old version and is never read again;
- inside a transaction nothing is cached (it could see its own uncommitted rows).

The same receivers renew the `data` versions the response cache reads (savdo/api/readcache.py) for
every model with a `data_scope`.

The key is the count query's own SQL and parameters, so every filter, search term and tenant has
its own total. A deliberate exception: querysets may skip `changed()` for fields no list filters
on (purchase statistics written by every sale), see `Customer.count_neutral_fields`.
"""

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from savdo.core import versions

COUNT_TIMEOUT = 3600


def cached_count(queryset: QuerySet, *, tenant_id) -> int:
    """`queryset.count()`, answered from the cache while no write touched the tenant's scope."""
    scope = getattr(queryset.model, "count_scope", None)
    if scope is None or tenant_id is None or not settings.SAVDO_CACHED_COUNTS:
        return queryset.count()
    if versions.in_transaction(connections[queryset.db]):
        return queryset.count()
    found = versions.current([versions.key("count", scope, tenant_id)], using=queryset.db)
    try:
        sql, params = queryset.order_by().values_list("pk").query.sql_with_params()
    except EmptyResultSet:  # a filter that matches nothing by construction (`pk__in=[]`): no SQL to key
        return 0
    key = f"count:{scope}:{tenant_id}:{found[0]}:{versions.digest((queryset.db, sql, params))}"
    total = cache.get(key)
    if total is None:
        total = queryset.count()
        cache.set(key, total, COUNT_TIMEOUT)
    return total


def data_scope(model) -> str | None:
    """The scope of a model's rows for the read caches: `data_scope`, else its `count_scope`."""
    return getattr(model, "data_scope", None) or getattr(model, "count_scope", None)


def changed(model, tenant_ids, *, rows_only: bool = False, using: str = "default") -> None:
    """Rows of `model` of these tenants changed: new data versions, and new count versions unless
    `rows_only` (a write no list filters on). At once, or when the transaction commits."""
    tenant_ids = {tenant_id for tenant_id in tenant_ids if tenant_id is not None}
    scope = data_scope(model)
    if not tenant_ids or scope is None:
        return
    keys = [versions.key("data", scope, tenant_id) for tenant_id in tenant_ids]
    count_scope = getattr(model, "count_scope", None)
    if count_scope and not rows_only:
        keys += [versions.key("count", count_scope, tenant_id) for tenant_id in tenant_ids]
    versions.bump(keys, using=using)


def all_changed(tenant_ids, using: str = "default") -> None:
    """Every scope of these tenants changed (a bulk load that bypassed the models)."""
    count_scopes = {getattr(model, "count_scope", None) for model in apps.get_models()} - {None}
    keys = [versions.key("count", scope, tenant_id) for scope in count_scopes for tenant_id in tenant_ids]
    keys += [versions.key("data", scope, tenant_id) for scope in _ALL_SCOPES for tenant_id in tenant_ids]
    versions.bump(keys, using=using)


def _row_changed(sender, instance, using="default", **kwargs):
    changed(sender, [instance.tenant_id], using=using)


def _links_changed(sender, instance, action, using="default", model=None, **kwargs):
    """Links added or removed from either side (`customer.tags.add(tag)` or `tag.customers.add(c)`):
    both sides' scopes render the link."""
    if action.startswith("post_") and hasattr(instance, "tenant_id"):
        changed(type(instance), [instance.tenant_id], using=using)
        if model is not None and model is not type(instance):
            changed(model, [instance.tenant_id], using=using)


def tenant_changed(tenant_id, using: str = "default") -> None:
    """A tenant's own settings (time zone, currency, loyalty) changed: they shape every answer, so
    all of its data versions start anew. The tenancy app calls this when a tenant is saved."""
    versions.tenant_changed(tenant_id, _ALL_SCOPES, using=using)


_ALL_SCOPES: set[str] = set()


def connect() -> None:
    """Connect save/delete (and many-to-many) receivers for every model with a `data_scope` or a
    `count_scope` (CoreConfig.ready)."""
    for model in apps.get_models():
        if data_scope(model):
            _ALL_SCOPES.add(data_scope(model))
            uid = f"versions_{model._meta.label_lower}"
            post_save.connect(_row_changed, sender=model, dispatch_uid=uid + "_save")
            post_delete.connect(_row_changed, sender=model, dispatch_uid=uid + "_delete")
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    _links_changed, sender=field.remote_field.through, dispatch_uid=f"{uid}_{field.name}"
                )
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="versions_user_save")
    # before the delete, while the user's memberships are still there to say which stores
    pre_delete.connect(_user_changed, sender=user_model, dispatch_uid="versions_user_delete")


# Saves of a user that change nothing an answer shows: the sign-in stamp, the password.
_UNSHOWN_USER_FIELDS = frozenset({"last_login", "password"})


def _user_changed(sender, instance, using="default", update_fields=None, **kwargs):
    """A user's name or e-mail shows in answers of every store they work in (a client's manager, a
    task's assignee): renaming them renews all of those stores' data versions. Users are renamed
    rarely; signing in (which saves `last_login` only) renews nothing."""
    if update_fields is not None and set(update_fields) <= _UNSHOWN_USER_FIELDS:
        return
    from savdo.tenancy.models import Membership

    for tenant_id in Membership.objects.filter(user_id=instance.pk).values_list("tenant_id", flat=True):
        versions.tenant_changed(tenant_id, _ALL_SCOPES, using=using)
