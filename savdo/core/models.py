"""The shared kernel's models: the base every tenant-owned business row stands on."""

from django.db import models

from savdo.core import counts


class TenantQuerySet(models.QuerySet):
    """Every read of a tenant-owned model starts with `for_tenant`: nothing reads across tenants."""

    def for_tenant(self, tenant):
        return self.filter(tenant=tenant)


class CountScopedQuerySet(TenantQuerySet):
    """For models with a `count_scope` (see savdo/core/counts.py): bulk writes start new versions
    of their tenants' cached list totals, after the write and again on commit.

    `count_neutral_fields` on the model names fields no list filters on; updates of only those
    keep the totals (a sale's F() update of a customer's statistics must not drop them).
    """

    def update(self, **kwargs):
        neutral = getattr(self.model, "count_neutral_fields", frozenset())
        if set(kwargs) <= neutral:
            return super().update(**kwargs)
        tenant_ids = list(self.order_by().values_list("tenant_id", flat=True).distinct())
        rows = super().update(**kwargs)
        counts.changed(self.model.count_scope, tenant_ids)
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        counts.changed(self.model.count_scope, [obj.tenant_id for obj in created])
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
