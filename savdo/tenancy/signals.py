"""Receivers of the tenancy app."""

from django.db.models.signals import post_save

from savdo.core import counts
from savdo.tenancy.models import Tenant


def _tenant_saved(sender, instance, using="default", **kwargs):
    counts.tenant_changed(instance.pk, using=using)


def connect() -> None:
    """A tenant's own row (time zone, currency, settings) shapes every cached answer of it."""
    post_save.connect(_tenant_saved, sender=Tenant, dispatch_uid="versions_tenant_save")
