"""`savdo generate`: a benchmark-scale database, bulk-loaded (COPY on PostgreSQL)."""

import time

from django.core.management.base import BaseCommand, CommandError

from savdo.demo.generator import TenantPlan, generate_shops
from savdo.demo.management.commands.demo import require_migrated_database
from savdo.tenancy.models import Tenant

BIG_NAME = "Bench big shop"
MID_NAME = "Bench 10k shop"
PASSWORD = "Bench-Savdo-2025"


def bench_plans(*, tenants: int, customers: int, products: int, sales: int, days: int) -> list[TenantPlan]:
    """One big tenant (20 % of customers, at most 200k), one of 10k, the rest shared by many small
    tenants with a long-tailed (Zipf-like) size distribution. Sales follow customers."""
    big = min(200_000, max(1, customers // 5))
    mid = min(10_000, max(1, (customers - big) // 2)) if tenants > 1 else 0
    rest = customers - big - mid
    small_count = max(0, tenants - 2)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(small_count)]
    total_weight = sum(weights) or 1
    sizes = [max(1, int(rest * w / total_weight)) for w in weights]
    if sizes:
        sizes[0] += rest - sum(sizes)
    sales_per_customer = sales / customers

    def plan(name, owner, n_customers, n_products, busy=0):
        return TenantPlan(
            name=name,
            customers=n_customers,
            products=max(20, n_products),
            sales=int(n_customers * sales_per_customer),
            days=days,
            owner_username=owner,
            password=PASSWORD,
            busy_customer_purchases=busy,
        )

    plans = [plan(BIG_NAME, "bench-big-owner", big, products, busy=500)]
    if mid:
        plans.append(plan(MID_NAME, "bench-10k-owner", mid, products // 4))
    for n, size in enumerate(sizes):
        if size > 0:
            plans.append(plan(f"Bench shop {n + 1}", f"bench-owner-{n + 1}", size, min(products // 4, 50 + size // 20)))
    return plans


class Command(BaseCommand):
    help = "Fill the database with benchmark-scale shops (default: 1M customers, ~2M sale lines)."

    def add_arguments(self, parser):
        parser.add_argument("--tenants", type=int, default=300)
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--products", type=int, default=2_000, help="products of the big tenant")
        parser.add_argument("--sales", type=int, default=730_000, help="sales in all (about 3 lines each)")
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes computing the shops (default: one per core on PostgreSQL; 1: this process only)",
        )

    def handle(self, *args, **opts):
        require_migrated_database()
        if opts["customers"] < 1 or opts["tenants"] < 1 or opts["days"] < 1 or opts["sales"] < 0:
            raise CommandError("--customers, --tenants and --days must be at least 1, --sales at least 0.")
        if opts["workers"] is not None and opts["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        if Tenant.objects.filter(name=BIG_NAME).exists():
            raise CommandError(f"'{BIG_NAME}' already exists: generate into an empty database.")
        plans = bench_plans(
            tenants=opts["tenants"],
            customers=opts["customers"],
            products=opts["products"],
            sales=opts["sales"],
            days=opts["days"],
        )
        started = time.monotonic()
        quiet = opts["verbosity"] < 2
        summaries = generate_shops(
            plans,
            seed=opts["seed"],
            fast_load=True,
            workers=opts["workers"],
            log=(lambda s: None) if quiet else (lambda s: self.stdout.write(str(s))),
        )
        elapsed = time.monotonic() - started
        totals = {key: sum(s[key] for s in summaries) for key in ("customers", "products", "sales", "lines", "refunds")}
        self.stdout.write(
            f"Generated {len(summaries)} tenants: {totals['customers']} customers, {totals['products']} products, "
            f"{totals['sales']} sales with {totals['lines']} lines, {totals['refunds']} refunds in {elapsed:.0f}s. "
            f"Logins: bench-big-owner / {PASSWORD} (big tenant), bench-10k-owner / {PASSWORD}."
        )
