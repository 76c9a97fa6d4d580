"""The `--tenant <id|key>` option the analytics commands share (all active tenants without it)."""

from django.core.management.base import CommandError

from savdo.tenancy.models import Tenant


def add_tenant_option(parser) -> None:
    parser.add_argument("--tenant", help="tenant id or key (default: every active tenant)")


def tenants_from(value: str | None) -> list[Tenant] | None:
    if not value:
        return None
    lookup = {"pk": int(value)} if value.isdigit() else {"key": value}
    tenant = Tenant.objects.filter(**lookup).first()
    if tenant is None:
        raise CommandError(f"no tenant {value}")
    return [tenant]
