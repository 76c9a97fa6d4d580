"""Reading the change log."""

import datetime

from django.db.models import QuerySet

from savdo.audit.models import ChangeLogEntry
from savdo.tenancy.models import Tenant


def change_log(
    *,
    tenant: Tenant,
    object_type: str | None = None,
    object_id: int | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[ChangeLogEntry]:
    """A store's change log, newest first, narrowed by the given filters."""
    entries = ChangeLogEntry.objects.for_tenant(tenant).select_related("actor")
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id is not None:
        entries = entries.filter(object_id=object_id)
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    if action:
        entries = entries.filter(action=action)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lt=until)
    return entries.order_by("-created_at", "-id")
