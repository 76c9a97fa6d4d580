"""The shared kernel's models: the base every tenant-owned business row stands on."""

from django.db import models

from savdo.core import counts


def _tenant_ids(queryset) -> list:
    """The tenants a queryset's rows belong to: read off a top-level `tenant=` / `tenant__in=`
    filter when there is one (every service writes that way), else asked from the database."""
    for child in queryset.query.where.children:
        target = getattr(getattr(child, "lhs", None), "target", None)
        if target is None or target.name != "tenant" or target.model is not queryset.model._meta.concrete_model:
            continue
        rhs = child.rhs
        if child.lookup_name == "exact" and isinstance(rhs, int):
            return [rhs]
        if child.lookup_name == "in" and isinstance(rhs, (list, tuple, set)) and all(isinstance(v, int) for v in rhs):
            return list(rhs)
    return list(queryset.order_by().values_list("tenant_id", flat=True).distinct())


class TenantQuerySet(models.QuerySet):
    """Every read of a tenant-owned model starts with `for_tenant`: nothing reads across tenants.

    For models with a `data_scope` or `count_scope` (savdo/core/counts.py, versions.py), bulk
    writes renew their tenants' versions as `save()`/`delete()` do through signals.
    `count_neutral_fields` on the model names fields no list filters on; updates of only those keep
    the cached totals (a sale's F() update of a customer's statistics must not drop them), and
    renew only the data version.
    """

    def for_tenant(self, tenant):
        return self.filter(tenant=tenant)

    def update(self, **kwargs):
        if counts.data_scope(self.model) is None:
            return super().update(**kwargs)
        tenant_ids = _tenant_ids(self)
        rows = super().update(**kwargs)
        neutral = getattr(self.model, "count_neutral_fields", frozenset())
        counts.changed(self.model, tenant_ids, rows_only=set(kwargs) <= neutral, using=self.db)
        return rows

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        counts.changed(self.model, [obj.tenant_id for obj in created], using=self.db)
        return created


class TenantOwned(models.Model):
    """Abstract base of every business row: it belongs to exactly one tenant (`tenant_id`).

    Per-business unique constraints must include `tenant`, and foreign keys between tenant-owned
    rows never cross tenants (services and serializers scope every related lookup to the tenant).
    """

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+", db_index=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
