"""`savdo deliver-messages`: send every queued reply whose next attempt is due (run it every minute
from the platform's scheduler; any number of processes may run it at once)."""

from django.core.management.base import BaseCommand

from savdo.messaging import jobs


class Command(BaseCommand):
    help = "Send queued chat replies whose next attempt is due (retries, and replies of a process that died)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="at most this many messages per run")

    def handle(self, *args, **opts):
        counts = jobs.deliver_due_messages(limit=max(1, opts["limit"]))
        self.stdout.write(
            f"{counts['attempted']} attempted, {counts['sent']} sent, {counts['retry']} to retry, "
            f"{counts['failed']} failed."
        )
