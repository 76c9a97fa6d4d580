"""`savdo refresh-rfm [--tenant <id|key>]`: store the RFM base of the last 365 days (up to yesterday)
and each customer's RFM segment on the customer, for every active tenant or one. Schedule it daily,
after midnight: the live `segments/` and `at-risk/` answers are the same without it, but they read
the stored base and recompute only who changed since, so they stay fast; other APIs show the stored
segment."""

from django.core.management.base import BaseCommand, CommandError

from savdo.analytics import jobs
from savdo.analytics.management.commands._tenant_option import add_tenant_option, tenants_from


class Command(BaseCommand):
    help = "Store the RFM base (last 365 days) and every customer's RFM segment on the customer."

    def add_arguments(self, parser):
        add_tenant_option(parser)

    def handle(self, *args, tenant=None, **options):
        run = jobs.refresh_rfm(tenants=tenants_from(tenant))
        for tenant_id, done in run.done.items():
            scored = ", ".join(f"{segment}: {n}" for segment, n in done.segments.items() if n)
            self.stdout.write(
                f"tenant {tenant_id}: {scored or 'no customers bought'}; "
                f"{done.changed} customers changed segment, {done.cleared} cleared."
            )
        if run.failed:
            raise CommandError(f"failed for tenants {', '.join(map(str, run.failed))} (see the log)")
