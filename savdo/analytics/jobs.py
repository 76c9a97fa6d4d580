"""Scheduled analytics jobs (the platform's scheduler runs them through the management commands
`savdo refresh-rfm` and `savdo snapshot-stock`). Each tenant is done in its own transaction: a tenant
that fails is logged and reported, and the others still get done."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from savdo.analytics import services
from savdo.tenancy.models import Tenant

logger = logging.getLogger("savdo.analytics")


@dataclass
class JobRun:
    """What a job did per tenant id, and the ids of the tenants it failed for."""

    done: dict[int, Any] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)


def _run(name: str, work: Callable[[Tenant], Any], tenants: Iterable[Tenant] | None) -> JobRun:
    run = JobRun()
    for tenant in tenants if tenants is not None else Tenant.objects.filter(is_active=True).order_by("pk"):
        try:
            run.done[tenant.pk] = work(tenant)
        except Exception:
            logger.exception("%s failed for tenant %s", name, tenant.pk)
            run.failed.append(tenant.pk)
    return run


def _refresh_rfm(tenant: Tenant) -> services.RFMRefresh:
    services.rfm_base_refresh(tenant=tenant)
    return services.customer_rfm_refresh(tenant=tenant)


def refresh_rfm(*, tenants: Iterable[Tenant] | None = None) -> JobRun:
    """Store every (active) tenant's RFM base (what makes the live RFM answers cheap), then its RFM
    segments on its customers (`services.RFMRefresh` per tenant); then compact the bases' tables."""
    run = _run("refresh-rfm", _refresh_rfm, tenants)
    try:
        services.rfm_bases_compact()
    except Exception:
        logger.exception("refresh-rfm: compacting the stored RFM bases failed")
    return run


def snapshot_stock(*, tenants: Iterable[Tenant] | None = None) -> JobRun:
    """Take today's stock snapshot of every (active) tenant (the number of rows per tenant)."""
    return _run("snapshot-stock", lambda tenant: services.stock_snapshot_take(tenant=tenant), tenants)
