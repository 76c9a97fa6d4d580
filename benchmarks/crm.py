#!/usr/bin/env python3
"""CRM v1 (document 003) benchmark: the deals list, the dashboard and the other CRM reads at a store
with 100,000 deals and 500,000 activities, against the `/healthz` floor, as benchmarks/run.py
measures the other reads (same server, same method, same report table).

    .venv/bin/python benchmarks/crm.py                          # 100k deals, 500k activities
    .venv/bin/python benchmarks/crm.py --deals 20000 --activities 100000 --duration 5 --rounds 2
    .venv/bin/python benchmarks/crm.py --no-response-cache      # what a first, uncached read costs
    .venv/bin/python benchmarks/crm.py --without fastlists      # what one fast path saves (run.py --help)

The store ("Bench CRM shop", its own database by default) is generated once with set-based SQL in
PostgreSQL (`INSERT ... SELECT generate_series`): customers through the ORM's bulk insert, then
deals over the last year in every status (each with its first status row, closed ones with a second
one and `closed_at`), then activities. A rerun with the same sizes reuses it; other sizes rebuild it.
Results: `benchmarks/results/<date>-<commit>-crm[-without-<names>].md`.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import lua  # noqa: E402
from benchmarks.run import (  # noqa: E402
    Result,
    add_without_option,
    bench_env,
    commit,
    free_port,
    report,
    resolve_without,
    run_wrk,
    savdo_bin,
    wait_for,
    without_env,
    without_suffix,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/savdo_bench_crm"
TENANT_NAME = "Bench CRM shop"
OWNER = "bench-crm-owner"
CRM_IF_MISSED = (
    "with the response cache on, each of these reads is answered from the cache (0 SQL queries per request), "
    "so what is measured is the request's Python path (token from the principal cache, role check, versions "
    "read, throttle), the same for every CRM row; on this 2-core machine, shared with other work during the "
    "run, that path and the floor move by a factor of two between rounds. Uncached, a list is one indexed "
    "query and the analytics read every completed deal of the range (index-only scans of (tenant, status, "
    "closed_at) including value and customer) and count the store's deals by status: tens of milliseconds "
    "per figure at 100,000 deals. Would fix the uncached analytics: per-day totals of completed deals and "
    "per-status deal counts kept by the deal services in the same transaction (as the sales services keep "
    "DailySales), read instead of the deals."
)


def _sql(cursor, statement: str, params=None) -> None:
    cursor.execute(statement, params or {})


def generate(*, customers: int, deals: int, activities: int, log=print) -> None:
    """(Re)build the bench CRM store with these sizes (PostgreSQL)."""
    from django.db import connection, transaction

    from savdo.accounts.models import User
    from savdo.core import counts
    from savdo.crm.models import Activity, Deal, DealStatusChange
    from savdo.customers.models import Customer
    from savdo.tenancy.models import Membership, Role, Tenant

    if connection.vendor != "postgresql":
        raise SystemExit("the CRM benchmark runs on PostgreSQL (set --database-url)")
    started = time.monotonic()
    deal_table, change_table, activity_table = (m._meta.db_table for m in (Deal, DealStatusChange, Activity))
    customer_table = Customer._meta.db_table
    old = list(Tenant.objects.filter(name=TENANT_NAME).values_list("pk", flat=True))
    if old:  # set-based: Django's collector would walk 600,000 rows
        with transaction.atomic(), connection.cursor() as cursor:
            for table in (activity_table, change_table, deal_table, customer_table):
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)} WHERE tenant_id = ANY(%s)", [old])
            Tenant.objects.filter(pk__in=old).delete()
    with transaction.atomic():
        tenant = Tenant.objects.create(name=TENANT_NAME)
        user, _created = User.objects.get_or_create(username=OWNER, defaults={"email": f"{OWNER}@example.com"})
        Membership.objects.update_or_create(user=user, tenant=tenant, defaults={"role": Role.OWNER, "is_active": True})
        rows = [
            Customer(
                tenant=tenant,
                display_name=f"Mijoz {n}",
                first_name=f"Mijoz{n}",
                company_name=f"Kompaniya {n % 997}" if n % 3 == 0 else "",
                email=f"crm{n}@example.com",
                status=("active", "potential", "waiting")[n % 3],
            )
            for n in range(customers)
        ]
        Customer.objects.bulk_create(rows, batch_size=5000)
    log(f"  {customers} customers in {time.monotonic() - started:.0f}s")
    params = {"tenant": tenant.pk, "user": user.pk, "deals": deals, "activities": activities}
    with transaction.atomic(), connection.cursor() as cursor:
        # Status by the deal's age: a year back most are closed (60 % of those completed), the last weeks
        # mostly open. closed_at a few days after the creation, never in the future.
        _sql(
            cursor,
            f"""
            WITH ids AS (SELECT array_agg(id ORDER BY id) AS arr, count(*) AS n FROM {customer_table}
                         WHERE tenant_id = %(tenant)s),
            raw AS (SELECT g, now() - (random() * random() * interval '365 days') AS created, random() AS r
                    FROM generate_series(1, %(deals)s) g),
            planned AS (
                SELECT g, created,
                       CASE WHEN r < least(0.92, extract(epoch FROM now() - created) / (45 * 86400.0))
                            THEN CASE WHEN random() < 0.6 THEN 'completed' ELSE 'cancelled' END
                            ELSE CASE WHEN random() < 0.4 THEN 'new' ELSE 'in_progress' END END AS status
                FROM raw)
            INSERT INTO {deal_table}
                (tenant_id, title, description, value, status, customer_id, created_by_id, closed_at,
                 created_at, updated_at)
            SELECT %(tenant)s, 'Kelishuv ' || g, '', round((300000 + random() * 60000000)::numeric, -4), status,
                   ids.arr[1 + (g %% ids.n)], %(user)s,
                   CASE WHEN status IN ('completed', 'cancelled')
                        THEN least(created + random() * interval '30 days', now()) END,
                   created, created
            FROM planned CROSS JOIN ids ORDER BY created
            """,
            params,
        )
        _sql(
            cursor,
            f"""
            INSERT INTO {change_table} (tenant_id, deal_id, from_status, to_status, changed_by_id, changed_at)
            SELECT tenant_id, id, '', 'new', created_by_id, created_at
            FROM {deal_table} WHERE tenant_id = %(tenant)s
            UNION ALL
            SELECT tenant_id, id, 'new', status, created_by_id, coalesce(closed_at, created_at + interval '1 hour')
            FROM {deal_table} WHERE tenant_id = %(tenant)s AND status <> 'new'
            """,
            params,
        )
        _sql(
            cursor,
            f"""
            WITH ids AS (SELECT array_agg(id ORDER BY id) AS arr, count(*) AS n FROM {customer_table}
                         WHERE tenant_id = %(tenant)s)
            INSERT INTO {activity_table} (tenant_id, type, description, customer_id, deal_id, created_by_id, created_at)
            SELECT %(tenant)s, (ARRAY['call', 'call', 'email', 'meeting', 'deal'])[1 + g %% 5],
                   'Faoliyat ' || g, ids.arr[1 + ((g::bigint * 7919) %% ids.n)], NULL, %(user)s,
                   now() - random() * interval '365 days'
            FROM generate_series(1, %(activities)s) g CROSS JOIN ids
            ORDER BY 7
            """,
            params,
        )
    with connection.cursor() as cursor:
        for table in (customer_table, deal_table, change_table, activity_table):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
    counts.all_changed([tenant.pk])
    log(f"  {deals} deals, {activities} activities in {time.monotonic() - started:.0f}s")


def ready(*, customers: int, deals: int, activities: int) -> bool:
    from savdo.crm.models import Activity, Deal
    from savdo.customers.models import Customer
    from savdo.tenancy.models import Tenant

    tenant = Tenant.objects.filter(name=TENANT_NAME).first()
    return (
        tenant is not None
        and Customer.objects.for_tenant(tenant).count() == customers
        and Deal.objects.for_tenant(tenant).count() == deals
        and Activity.objects.for_tenant(tenant).count() == activities
    )


def context() -> dict:
    from rest_framework_simplejwt.tokens import RefreshToken

    from savdo.accounts.models import User
    from savdo.crm.models import Deal
    from savdo.tenancy.models import Tenant

    tenant = Tenant.objects.get(name=TENANT_NAME)
    user = User.objects.get(username=OWNER)
    busy = Deal.objects.for_tenant(tenant).values_list("customer_id", flat=True).first()
    return {
        "headers": {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}", "X-Tenant-Key": tenant.key},
        "busy_customer": busy,
        "deals": Deal.objects.for_tenant(tenant).count(),
    }


def scenarios(ctx: dict) -> list[tuple[str, str, list[str]]]:
    today = date.today()
    year_ago = (today - timedelta(days=364)).isoformat()
    return [
        ("crm", "deals list page 1", ["/api/v1/deals"]),
        ("crm", "deals list, status=in_progress", ["/api/v1/deals?status=in_progress"]),
        (
            "crm",
            f"deals list, one customer ({ctx['busy_customer']})",
            [f"/api/v1/deals?customerId={ctx['busy_customer']}"],
        ),
        ("crm", "deals list, page 1000", ["/api/v1/deals?page=1000"]),
        ("crm", "dashboard", ["/api/v1/analytics/dashboard"]),
        ("crm", "sales, 12 months (monthly)", ["/api/v1/analytics/sales"]),
        ("crm", "sales, 1 year daily", [f"/api/v1/analytics/sales?period=daily&startDate={year_ago}"]),
        ("crm", "activities list page 1", ["/api/v1/activities"]),
        ("crm", "customers list page 1", ["/api/v1/customers"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_CRM_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"))
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=500_000)
    parser.add_argument("--duration", type=int, default=8, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--only", default="", help="run only scenarios whose name contains this")
    parser.add_argument(
        "--no-response-cache",
        action="store_true",
        help="serve every read from the database; the same as --without readcache",
    )
    add_without_option(parser)
    args = parser.parse_args()
    resolve_without(args)

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian/Ubuntu)")
    os.environ["BENCH_REDIS_URL"] = args.redis_url
    env = bench_env(args.database_url)
    env.update(without_env(args.without))
    os.environ.update(env)
    started = time.monotonic()
    _ensure_database(args.database_url)
    subprocess.run([savdo_bin(), "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    import django

    django.setup()
    sizes = {"customers": args.customers, "deals": args.deals, "activities": args.activities}
    if not ready(**sizes):
        print(f"generating the CRM store: {sizes} ...", flush=True)
        generate(**sizes)
    ctx = context()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            *(savdo_bin(), "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", str(args.workers), "--threads", str(args.threads)),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: list[Result] = []
    try:
        wait_for(f"{base}/healthz")
        floor_script = lua.get_script(["/healthz"], {})
        for group, name, paths in scenarios(ctx):
            if args.only and args.only not in name:
                continue
            print(f"- {group}: {name}", flush=True)
            result = Result(name, group, args.concurrency, if_missed=CRM_IF_MISSED)
            script = lua.get_script(paths, ctx["headers"])
            for _ in range(args.rounds):
                result.floor.append(run_wrk(base, floor_script, args.concurrency, args.duration))
                result.rounds.append(run_wrk(base, script, args.concurrency, args.duration))
            results.append(result)
    finally:
        server.terminate()
        server.wait(timeout=30)
    notes = [
        f"CRM store: {args.customers} customers, {ctx['deals']} deals, {args.activities} activities "
        f"(benchmarks/crm.py, commit {commit()}).",
    ]
    text = report(results, args, time.monotonic() - started, notes)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d-%H%M", time.gmtime())
    path = out_dir / f"{stamp}-{commit()}-crm{without_suffix(args.without)}.md"
    path.write_text(text)
    print(text)
    print(f"written to {path}")


def _ensure_database(url: str) -> None:
    """Create the benchmark's database if it does not exist (PostgreSQL URLs only)."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        return
    import psycopg

    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not found:
            connection.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
