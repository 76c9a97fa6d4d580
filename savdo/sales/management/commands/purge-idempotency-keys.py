"""`savdo purge-idempotency-keys`: delete Idempotency-Key records past their expiry (run daily)."""

from django.core.management.base import BaseCommand

from savdo.sales.idempotency import idempotency_purge_expired


class Command(BaseCommand):
    help = "Delete expired Idempotency-Key records (they are kept at least 24 hours)."

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {idempotency_purge_expired()} expired idempotency keys.")
