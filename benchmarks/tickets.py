#!/usr/bin/env python3
"""Support tickets benchmark: `overdue/` and `statistics/` (and the first list page) at a store with
200,000 tickets, against the floor (`/healthz`), on the production server with PostgreSQL.

    .venv/bin/python benchmarks/tickets.py                        # generate if absent, run
    .venv/bin/python benchmarks/tickets.py --tickets 50000 --duration 5 --rounds 3

Same method and tools as benchmarks/run.py (wrk on 127.0.0.1, A/B rounds against the floor,
medians, SQL queries and ms per request from the `X-Savdo-SQL` header). The store's tickets are
written with COPY, as a year of a busy operator's support desk: most closed, the open ones from the
last ten days (about half of those past their due date), deadlines from the default service levels,
some answered or resolved late. History and comment rows are not generated: neither route reads
them. Results: `benchmarks/results/<date>-<commit>-tickets.md`.
"""

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import lua  # noqa: E402
from benchmarks.run import (  # noqa: E402
    Result,
    bench_env,
    commit,
    free_port,
    machine,
    median,
    run_wrk,
    savdo_bin,
    wait_for,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/savdo_h23_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
TENANT_NAME = "Bench tickets operator"
CUSTOMERS = 5000
TARGET = 0.25  # of the floor's requests/s, as benchmarks/run.py reads rows


def generate(tickets: int, seed: int = 7) -> None:
    """The benchmark store: an owner, two agents, customers and `tickets` tickets (COPY)."""
    from django.db import connection, transaction

    from savdo.accounts.models import User
    from savdo.core import counts
    from savdo.customers.models import Customer
    from savdo.demo.bulk import IdAllocator, TableWriter, reset_sequences
    from savdo.support.choices import DEFAULT_SERVICE_LEVELS, TicketCategory, TicketStatus
    from savdo.support.models import Ticket, TicketNumberCounter
    from savdo.tenancy.models import Membership, Role, Tenant

    rng = random.Random(seed)
    now = datetime.now(UTC)
    with transaction.atomic():
        old = Tenant.objects.filter(name=TENANT_NAME).first()
        if old is not None:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM support_ticket WHERE tenant_id = %s", [old.pk])
            old.delete()
        tenant = Tenant.objects.create(name=TENANT_NAME, time_zone="Asia/Bishkek")
        people = []
        for username, role in (
            ("bench-tickets-owner", Role.OWNER),
            ("bench-agent-1", Role.AGENT),
            ("bench-agent-2", Role.AGENT),
        ):
            user = User.objects.filter(username=username).first() or User.objects.create_user(username, password="x")
            Membership.objects.create(user=user, tenant=tenant, role=role)
            people.append(user.pk)
        owner_id, agents = people[0], people[1:]
        ids = IdAllocator()
        first_customer = ids.take(Customer, CUSTOMERS)
        TableWriter(Customer, ["id", "tenant_id", "first_name", "last_name", "created_at", "updated_at"]).write(
            (first_customer + i, tenant.pk, f"Абонент{i}", f"Фамилия{i}", now, now) for i in range(CUSTOMERS)
        )
        categories = TicketCategory.values
        priorities, weights = ["low", "medium", "high", "critical"], [20, 45, 25, 10]
        columns = [
            "id", "tenant_id", "number", "subject", "description", "category", "priority", "status",
            "customer_id", "assigned_to_id", "created_by_id", "due_date", "due_date_given",
            "first_response_due", "first_response_at", "assigned_at", "started_at", "resolved_at",
            "closed_at", "resolution", "created_at", "updated_at",
        ]  # fmt: skip
        first_ticket = ids.take(Ticket, tickets)
        year = now.year
        per_year: dict[int, int] = {}

        open_statuses = [TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS, TicketStatus.REOPENED]

        def rows():
            for i in range(tickets):
                open_ = rng.random() < 0.08
                status = (
                    rng.choice(open_statuses)
                    if open_
                    else rng.choices([TicketStatus.CLOSED, TicketStatus.RESOLVED], [9, 1])[0]
                )
                created = now - timedelta(minutes=rng.uniform(30, 10 * 1440 if open_ else 365 * 1440))
                priority = rng.choices(priorities, weights)[0]
                first_response_target, resolution_target = DEFAULT_SERVICE_LEVELS[priority]
                late = rng.random() < 0.15
                responded = created + timedelta(minutes=rng.uniform(1, first_response_target) * (3 if late else 1))
                assigned = status != TicketStatus.NEW
                resolved = None
                if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
                    resolved = responded + timedelta(minutes=rng.uniform(10, resolution_target) * (2 if late else 1))
                    resolved = min(resolved, now)
                number_year = created.year
                per_year[number_year] = per_year.get(number_year, 0) + 1
                yield (
                    first_ticket + i, tenant.pk, f"TKT-{number_year}-{per_year[number_year]:06d}",
                    f"Обращение {i}: нет связи", "Абонент сообщает о проблеме", rng.choice(categories), priority,
                    str(status), first_customer + rng.randrange(CUSTOMERS), rng.choice(agents) if assigned else None,
                    owner_id, created + timedelta(minutes=resolution_target), False,
                    created + timedelta(minutes=first_response_target), responded if assigned else None,
                    responded if assigned else None,
                    responded if status not in (TicketStatus.NEW, TicketStatus.ASSIGNED) else None, resolved,
                    resolved + timedelta(hours=2) if status == TicketStatus.CLOSED and resolved else None,
                    "Решено" if resolved else "", created, resolved or created,
                )  # fmt: skip

        TableWriter(Ticket, columns).write(rows())
        for number_year, last in per_year.items():
            TicketNumberCounter.objects.create(tenant=tenant, year=number_year, last_number=last)
        reset_sequences([Customer, Ticket])
    counts.all_changed([tenant.pk])  # COPY bypassed the models: no cached total may survive it
    with connection.cursor() as cursor:  # what autovacuum would have done by now (visibility map, statistics)
        cursor.execute("VACUUM ANALYZE support_ticket")
        cursor.execute("VACUUM ANALYZE customers_customer")
    print(f"generated {tickets} tickets (year {year})", flush=True)


def ensure_database(url: str) -> None:
    """Create the benchmark's database if the server does not have it yet."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def context(tickets: int) -> dict:
    from rest_framework_simplejwt.tokens import RefreshToken

    from savdo.support.models import Ticket
    from savdo.tenancy.models import Membership, Role, Tenant

    tenant = Tenant.objects.filter(name=TENANT_NAME).first()
    if tenant is None or Ticket.objects.filter(tenant=tenant).count() != tickets:
        return {}
    owner = Membership.objects.filter(tenant=tenant, role=Role.OWNER).select_related("user").get().user
    return {"key": tenant.key, "token": str(RefreshToken.for_user(owner).access_token)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="SAVDO_CACHED_COUNTS=0: list totals and the statistics' decided part computed on every request",
    )
    args = parser.parse_args()

    os.environ.setdefault("BENCH_REDIS_URL", DEFAULT_REDIS)
    env = bench_env(args.database_url)
    if args.no_cache:
        env["SAVDO_CACHED_COUNTS"] = "0"
    os.environ.update(env)
    started = time.monotonic()
    ensure_database(args.database_url)
    subprocess.run([savdo_bin(), "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    import django

    django.setup()
    found = context(args.tickets)
    if not found:
        print(f"generating {args.tickets} tickets ...", flush=True)
        generate(args.tickets)
        found = context(args.tickets)
    headers = {"Authorization": f"Bearer {found['token']}", "X-Tenant-Key": found["key"]}
    label = f"@{args.tickets // 1000}k"
    scenarios = [
        (f"overdue/ {label}", "/api/tickets/overdue/"),
        (f"statistics/ {label}", "/api/tickets/statistics/"),
        (f"list page 1 {label}", "/api/tickets/"),
    ]

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
        for name, path in scenarios:
            print(f"- {name}", flush=True)
            script = lua.get_script([path], headers)
            result = Result(name, "tickets", args.concurrency)
            run_wrk(base, script, args.concurrency, 2)  # warm-up: connections, plans, principal cache
            for _ in range(args.rounds):
                result.floor.append(run_wrk(base, floor_script, args.concurrency, args.duration))
                result.rounds.append(run_wrk(base, script, args.concurrency, args.duration))
            results.append(result)
    finally:
        server.terminate()
        server.wait(timeout=30)

    lines = [
        f"# Savdo tickets benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}",
        "",
        f"Machine: {machine()} (shared with other work while this ran). Server: gunicorn, {args.workers} workers x "
        f"{args.threads} threads, production settings, PostgreSQL (row-level security on) + Redis, cached totals "
        f"and statistics {'OFF' if args.no_cache else 'on'}. One store with "
        f"{args.tickets} tickets. Load: wrk, concurrency {args.concurrency}, {args.rounds} rounds x {args.duration}s "
        f"per side, floor (/healthz) alternated with each scenario; medians. Run took "
        f"{(time.monotonic() - started) / 60:.1f} min.",
        "",
        "| scenario | conc. | req/s | floor req/s | ratio | target | p50 ms | p95 ms | SQL q/req | SQL ms/req"
        " | non-2xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        rps = median([m.rps for m in result.rounds])
        floor = median([m.rps for m in result.floor])
        ratio = rps / floor if floor else 0
        lines.append(
            f"| {result.scenario} | {result.concurrency} | {rps:.0f} | {floor:.0f} | {ratio:.1%} | "
            f"{TARGET:.0%} {'ok' if ratio >= TARGET else 'MISSED'} | {median([m.p50_ms for m in result.rounds]):.1f} | "
            f"{median([m.p95_ms for m in result.rounds]):.1f} | {median([m.sql_q for m in result.rounds]):.1f} | "
            f"{median([m.sql_ms for m in result.rounds]):.2f} | {sum(m.bad for m in result.rounds)} |"
        )
    text = "\n".join(lines) + "\n"
    out = (
        ROOT
        / "benchmarks"
        / "results"
        / f"{datetime.now(UTC):%Y-%m-%d-%H%M}-{commit()}-tickets{'-uncached' if args.no_cache else ''}.md"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
