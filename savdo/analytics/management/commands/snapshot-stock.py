"""`savdo snapshot-stock [--tenant <id|key>]`: store today's stock of every active tenant (or one) as a
dated snapshot (`GET /api/analytics/inventory-snapshots/?date=` reads it). Run it near the end of
the tenants' day; running it again the same day replaces that day's snapshot."""

from django.core.management.base import BaseCommand, CommandError

from savdo.analytics import jobs
from savdo.analytics.management.commands._tenant_option import add_tenant_option, tenants_from


class Command(BaseCommand):
    help = "Store today's stock of every tenant as a dated snapshot."

    def add_arguments(self, parser):
        add_tenant_option(parser)

    def handle(self, *args, tenant=None, **options):
        run = jobs.snapshot_stock(tenants=tenants_from(tenant))
        for tenant_id, rows in run.done.items():
            self.stdout.write(f"tenant {tenant_id}: {rows} products.")
        if run.failed:
            raise CommandError(f"failed for tenants {', '.join(map(str, run.failed))} (see the log)")
