"""The shared kernel's models: the base every tenant-owned business row stands on."""

from django.db import models


class TenantQuerySet(models.QuerySet):
    """Every read of a tenant-owned model starts with `for_tenant`: nothing reads across tenants."""

    def for_tenant(self, tenant):
        return self.filter(tenant=tenant)


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
