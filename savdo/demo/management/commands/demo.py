"""`savdo demo`: one living demo shop in Tashkent (idempotent)."""

from django.core.management.base import BaseCommand

from savdo.demo.generator import TenantPlan, generate_shops
from savdo.tenancy.models import Role, Tenant

DEMO_NAME = "Savdo Demo: Toshkent do'koni"
DEMO_PASSWORD = "Demo-Savdo-2025"
DEMO_STAFF = [
    ("demo-manager", "Dilnoza", "Karimova", Role.MANAGER),
    ("demo-cashier", "Jasur", "Rahimov", Role.CASHIER),
    ("demo-cashier2", "Ольга", "Смирнова", Role.CASHIER),
]


class Command(BaseCommand):
    help = "Load the demo shop: ~2,000 customers, ~500 products with stock and batches, 90 days of sales."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--products", type=int, default=500)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--sales-per-day", type=int, default=45)

    def handle(self, *args, **opts):
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
        )
        (summary,) = generate_shops([plan], seed=2025, log=lambda s: None)
        self.stdout.write(
            f"Demo shop loaded: {summary['customers']} customers, {summary['products']} products, "
            f"{summary['sales']} sales ({summary['refunds']} refunded) over {opts['days']} days. "
            f"X-Tenant-Key {summary['tenant'].key}. {logins}"
        )
