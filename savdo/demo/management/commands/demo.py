"""`savdo demo`: one living demo shop in Tashkent (idempotent)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from savdo.demo.clients import load_clients
from savdo.demo.crm import load_crm
from savdo.demo.generator import TenantPlan, generate_shops
from savdo.demo.messaging import load_messaging
from savdo.demo.support import load_support
from savdo.demo.tasks import demo_tasks_create
from savdo.demo.telecom import TELECOM_DEMO_PASSWORD, TELECOM_STAFF, load_telecom
from savdo.tenancy.models import Role, Tenant

DEMO_NAME = "Savdo Demo: Toshkent do'koni"
DEMO_PASSWORD = "Demo-Savdo-2025"
DEMO_OWNER = ("Bobur", "Toshmatov")
DEMO_STAFF = [
    ("demo-manager", "Dilnoza", "Karimova", Role.MANAGER),
    ("demo-cashier", "Jasur", "Rahimov", Role.CASHIER),
    ("demo-cashier2", "Ольга", "Смирнова", Role.CASHIER),
]
MIGRATE_HINT = "run `python3 dev.py migrate` first (`python3 dev.py serve --demo` migrates, then loads the demo)"


def require_migrated_database() -> None:
    """Refuse, in one line, a database that cannot be reached or lacks migrations (instead of the
    traceback the first query would print)."""
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CommandError(f"The database cannot be read ({first_line}).") from None
    if pending:
        raise CommandError(f"The database is not migrated ({len(pending)} migrations to apply): {MIGRATE_HINT}.")


class Command(BaseCommand):
    help = (
        "Load the demo shop: ~2,000 customers, ~500 products with stock and batches, 90 days of sales, "
        "four weeks of staff tasks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--products", type=int, default=500)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--sales-per-day", type=int, default=45)

    def handle(self, *args, **opts):
        require_migrated_database()
        if opts["customers"] < 1 or opts["products"] < 1 or opts["days"] < 1 or opts["sales_per_day"] < 0:
            raise CommandError("--customers, --products and --days must be at least 1, --sales-per-day at least 0.")
        logins = (
            f"Logins (password {DEMO_PASSWORD}): demo (owner), demo-manager, demo-cashier, demo-cashier2. "
            "POST /api/users/auth/login/ with one of them."
        )
        tenant = Tenant.objects.filter(name=DEMO_NAME).first()
        if tenant is not None:
            self.stdout.write(f"The demo shop is already loaded (X-Tenant-Key {tenant.key}). {logins}")
            return
        plan = TenantPlan(
            name=DEMO_NAME,
            customers=opts["customers"],
            products=opts["products"],
            sales=opts["days"] * opts["sales_per_day"],
            days=opts["days"],
            owner_username="demo",
            password=DEMO_PASSWORD,
            busy_customer_purchases=60,
            with_batches=True,
            staff=DEMO_STAFF,
            owner_name=DEMO_OWNER,
        )
        # One transaction: a failure leaves no half-loaded shop that the check above would take as loaded.
        with transaction.atomic():
            (summary,) = generate_shops([plan], seed=2025, log=lambda s: None)
            tenant = summary["tenant"]
            tasks = demo_tasks_create(tenant=tenant, now=timezone.now(), seed=2025)
            # The other surfaces' data on the same shop: managers, tags and segments (002), chats
            # from Telegram and WhatsApp (002), a pipeline of deals (003).
            load_clients(tenant)
            load_messaging(tenant)
            load_crm(tenant)
        # The nightly job a shop runs: every buying customer gets their RFM segment.
        from savdo.analytics import jobs

        jobs.refresh_rfm(tenants=[tenant])
        # A second store: a telecom operator in Bishkek (004) with its support desk.
        operator = load_telecom()
        load_support(tenant=operator["tenant"])
        self.stdout.write(
            f"Demo shop loaded: {summary['customers']} customers, {summary['products']} products, "
            f"{summary['sales']} sales ({summary['refunds']} refunded) over {opts['days']} days, {tasks} staff tasks. "
            f"X-Tenant-Key {tenant.key}. {logins} "
            f"The demo telecom operator: logins {', '.join(login for login, *_ in TELECOM_STAFF)} "
            f"(password {TELECOM_DEMO_PASSWORD}), POST /api/auth/login/."
        )
