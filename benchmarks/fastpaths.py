#!/usr/bin/env python3
"""Each fast path beside the same work without it: in-process, one client, A/B alternated.

    .venv/bin/python benchmarks/fastpaths.py                       # every fast path
    .venv/bin/python benchmarks/fastpaths.py --only fixed,plain --flows 300 --alternations 3

`benchmarks/run.py --without NAME` measures a fast path under load (wrk, several cashiers), where a
shared 2-core machine moves a row by tens of percent between runs. This measures what a fast path
saves on one request, where that noise is small: for each fast path, the same work runs in a fresh
process with the fast path on (A) and off (B), A B B A ... (`--alternations` pairs), through Django's
test client against the benchmark database (PostgreSQL, Redis, production settings). Per flow:

- wall ms: the whole request, Python and database;
- CPU ms: this process's CPU (the server's Python and the driver; PostgreSQL's own CPU is not in it);
- SQL: statements per flow and their milliseconds (the `X-Savdo-SQL` header).

Medians over the alternations. Flows: the till (scan 3 items into a sale, check out with cash and
card, by one cashier of the big shop; `batching` and `async-commit` mainly save lock time under
concurrency, which one client cannot show: see run.py's cashier rows) and page 1 of the big shop's
customers (the owner), cached or not. What does not load under one client (contention) is not here.
Results: `benchmarks/results/<date>-<commit>-fastpaths.md`.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import DEFAULT_DB, FAST_PATHS, bench_env, commit, ensure_database  # noqa: E402

# fast path -> (flow, fast paths off in both arms so that this one is what differs)
COMPARISONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "fixed": ("till", ()),
    "batching": ("till", ()),
    "async-commit": ("till", ()),
    "pg-backend": ("till", ()),
    "prepared": ("till", ()),
    "plain": ("till", ()),
    "fastlists": ("till", ()),
    "principals": ("till", ()),
    "readcache": ("list", ()),
    "local-answers": ("list", ()),
    "local-answers-report": ("report", ()),
    "counts": ("list", ("readcache",)),
    "fastlists-list": ("list", ("readcache",)),
    "principals-list": ("list", ()),
}
LIST = "/api/customers/customers/?page=1"
# a year of daily sales: a big answer (some 170 KB), where a local hit saves fetching the bytes
REPORT = "/api/analytics/daily-sales/period/?start_date={start}&end_date={end}"


def _env_for(names) -> dict[str, str]:
    env = {}
    for name in names:
        env.update(FAST_PATHS[name.removesuffix("-list").removesuffix("-report")])
    return env


# --- the child: one process, one arm --------------------------------------------------------------


def _child(flow: str, count: int) -> None:
    import django

    django.setup()
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from benchmarks.prepare import BIG_TENANT, _owner_token
    from savdo.accounts.models import User
    from savdo.tenancy.models import Membership, Role, Tenant

    tenant = Tenant.objects.get(name=BIG_TENANT)
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_TENANT_KEY=tenant.key)
    sql = [0, 0.0]

    def call(method, path, token, body=None, *, missing_ok=False):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if method == "get":
            response = client.get(path, **headers)
        else:
            response = client.post(path, json.dumps(body), content_type="application/json", **headers)
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code >= 300:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.content[:300]!r}")
        queries, ms = response["X-Savdo-SQL"].split(";")
        sql[0] += int(queries)
        sql[1] += float(ms)
        return json.loads(response.content) if response.get("Content-Type", "").startswith("application/json") else None

    if flow == "till":
        user, _ = User.objects.get_or_create(username=f"bench-fastpaths-{tenant.pk}")
        Membership.objects.update_or_create(
            user=user, tenant=tenant, defaults={"role": Role.CASHIER, "is_active": True}
        )
        token = str(RefreshToken.for_user(user).access_token)
        from benchmarks.prepare import _stock_up
        from savdo.catalog.models import Product

        products = list(
            Product.objects.for_tenant(tenant).filter(is_active=True).order_by("id").values_list("id", flat=True)[:30]
        )
        _stock_up(tenant, products)
        current = call("get", "/api/sales/sessions/current/", token, missing_ok=True)
        data = (current or {}).get("data", current) or {}
        session = (
            data.get("id") or call("post", "/api/sales/sessions/open/", token, {"opening_balance": 0})["data"]["id"]
        )
        position = [0]

        def one():
            sale = None
            for _ in range(3):
                position[0] = (position[0] + 1) % len(products)
                body = {"session": session, "product": products[position[0]], "quantity": 1}
                sale = call("post", "/api/sales/sales/scan-item/", token, body)["data"]
            total = float(sale["total_amount"])
            payments = [
                {"payment_method": "cash", "amount": f"{total - 1:.2f}", "received_amount": f"{total - 1:.2f}"},
                {"payment_method": "card", "amount": "1.00", "card_last4": "4242", "transaction_id": "BENCH"},
            ]
            call("post", f"/api/sales/sales/{sale['id']}/checkout/", token, {"payments": payments})

    else:
        from datetime import date, timedelta

        token = _owner_token(tenant)
        path = LIST
        if flow == "report":
            path = REPORT.format(start=(date.today() - timedelta(days=364)).isoformat(), end=date.today().isoformat())

        def one():
            call("get", path, token)

    for _ in range(max(10, count // 10)):  # warm: connections, prepared statements, caches
        one()
    sql[:] = [0, 0.0]
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        one()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        json.dumps({"wall": wall * 1000 / count, "cpu": cpu * 1000 / count, "q": sql[0] / count, "sql": sql[1] / count})
    )


# --- the parent: alternate the arms, report -------------------------------------------------------


def _arm(env: dict, flow: str, count: int, off: dict) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", flow, "--flows", str(count)],
        env={**env, **off},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:] or result.stdout[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--only", default="", help="comma-separated fast paths (default: all)")
    parser.add_argument("--flows", type=int, default=0, help="flows per arm (default: 150 till flows, 1500 list reads)")
    parser.add_argument("--alternations", type=int, default=2, help="A B B A pairs per fast path")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.flows)
        return

    env = bench_env(args.database_url)
    env["SAVDO_RLS"] = "1"
    ensure_database(args.database_url)
    names = [n for n in args.only.split(",") if n] or list(COMPARISONS)
    unknown = [n for n in names if n not in COMPARISONS]
    if unknown:
        raise SystemExit(f"unknown: {', '.join(unknown)}; known: {', '.join(COMPARISONS)}")
    started = time.monotonic()
    rows = []
    for name in names:
        flow, both_off = COMPARISONS[name]
        count = args.flows or {"till": 150, "list": 1500, "report": 500}[flow]
        base = _env_for(both_off)
        arms = {"on": [], "off": []}
        for index in range(args.alternations):
            order = ("on", "off") if index % 2 == 0 else ("off", "on")
            for arm in order:
                off = {**base, **(_env_for([name]) if arm == "off" else {})}
                arms[arm].append(_arm(env, flow, count, off))
        on, off = arms["on"], arms["off"]
        row = (name, flow, both_off, *(_median(on, k) for k in ("wall", "cpu", "q", "sql")))
        row += tuple(_median(off, k) for k in ("wall", "cpu", "q", "sql"))
        rows.append(row)
        print(_line(row), flush=True)

    lines = [
        f"# Fast paths on and off, in-process, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}",
        "",
        f"One client through Django's test client, production settings, PostgreSQL + Redis, row-level "
        f"security on; {args.alternations} A/B alternations per fast path, each in a fresh process, medians. "
        f"Till flow = 3 scans + a cash and card checkout by one cashier of the big shop; list = page 1 of "
        f"its customers (200,000) by the owner; report = a year of its daily sales. "
        f"Run took {(time.monotonic() - started) / 60:.1f} min.",
        "",
        "| fast path | flow (also off in both) | wall ms on | wall ms off | saves | CPU ms on | CPU ms off "
        "| SQL on (q; ms) | SQL off (q; ms) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(_line(row) for row in rows),
        "",
        "Per flow. `saves` = 1 - wall on / wall off. CPU is the Python process's (server code and driver), "
        "not PostgreSQL's. `batching` and `async-commit` save mostly lock time under concurrency, which one "
        "client does not show: benchmarks/run.py --without measures them under load.",
    ]
    out = ROOT / "benchmarks" / "results" / f"{datetime.now(UTC):%Y-%m-%d-%H%M}-{commit()}-fastpaths.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"written to {out}")


def _line(row) -> str:
    name, flow, both_off, wall_on, cpu_on, q_on, sql_on, wall_off, cpu_off, q_off, sql_off = row
    flow_text = flow + (f" ({', '.join(both_off)} off)" if both_off else "")
    saves = 1 - wall_on / wall_off if wall_off else 0.0
    return (
        f"| {name} | {flow_text} | {wall_on:.2f} | {wall_off:.2f} | {saves:.0%} | {cpu_on:.2f} | {cpu_off:.2f} "
        f"| {q_on:.1f}; {sql_on:.2f} | {q_off:.1f}; {sql_off:.2f} |"
    )


if __name__ == "__main__":
    main()
