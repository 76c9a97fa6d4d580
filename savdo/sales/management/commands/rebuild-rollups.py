"""`savdo rebuild-rollups --tenant <id|key> --from YYYY-MM-DD --to YYYY-MM-DD`."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from savdo.sales.rollups import rollups_rebuild
from savdo.tenancy.models import Tenant


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = "Rebuild a tenant's daily sales rollups for a period of local days from the sales themselves."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant id or key")
        parser.add_argument("--from", dest="date_from", required=True, type=_date)
        parser.add_argument("--to", dest="date_to", required=True, type=_date)

    def handle(self, *args, tenant, date_from, date_to, **options):
        if date_to < date_from:
            raise CommandError("--to is before --from")
        lookup = {"pk": int(tenant)} if tenant.isdigit() else {"key": tenant}
        found = Tenant.objects.filter(**lookup).first()
        if found is None:
            raise CommandError(f"no tenant {tenant}")
        days = rollups_rebuild(tenant=found, date_from=date_from, date_to=date_to)
        self.stdout.write(f"Rebuilt rollups of {found.name} from {date_from} to {date_to}: {days} days with sales.")
