#!/usr/bin/env python3
"""Benchmark of document 002's clients surface on the production server (PostgreSQL + Redis).

    .venv/bin/python benchmarks/clients.py                       # 1M customers (generated if absent)
    .venv/bin/python benchmarks/clients.py --customers 100000    # a smaller database (and export)
    .venv/bin/python benchmarks/clients.py --only export --rounds 1

What it measures (one row each in the report):
- import: `POST /api/clients/import` of 10,000 new rows in one request (wall time, rows/s, the
  server worker's peak memory), then the same 10,000 rows again (every row refused as a duplicate);
- export: `GET /api/clients/export?format=csv|json` of the big store (200,000 clients at 1M
  customers; 20 % of `--customers` up to 200,000) and of the 10k store, read to the end: wall time,
  MB, and the peak resident memory the serving worker gained (Linux `VmHWM`, reset before each run
  through `/proc/<pid>/clear_refs`) - flat memory means the two stores' peaks are alike;
- list and search: `/api/clients` page 1, a deep page, `limit=100`, a sort by revenue, a tag filter
  and three searches, loaded by wrk against the `/healthz` floor as benchmarks/run.py does
  (A B A B ..., medians, ratio to the floor).

The database is the same generated one as benchmarks/run.py (`savdo generate`: one big store of
20 % of the customers, a 10k store, many small ones), in its own database by default so that both
can coexist. The server's request-body limit is raised to 32 MiB for the run
(`SAVDO_MAX_BODY_BYTES`): 10,000 rows are about 2 MB of JSON, over the 1 MiB default.
Results: `benchmarks/results/<date>-<commit>-clients.md`.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import lua  # noqa: E402
from benchmarks.run import (  # noqa: E402
    add_without_option,
    bench_env,
    commit,
    ensure_database,
    free_port,
    machine,
    median,
    resolve_without,
    run_step,
    run_wrk,
    savdo_bin,
    wait_for,
    without_env,
    without_header,
    without_suffix,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/savdo_bench_clients"
IMPORT_ROWS = 10_000
BODY_LIMIT = 32 * 1024 * 1024
FIRST_NAMES = ("Иван", "Мария", "Алексей", "Анна", "Dilnoza", "Jasur", "Ольга", "Bobur", "Сергей", "Madina")
LAST_NAMES = ("Петров", "Иванова", "Смирнов", "Karimova", "Rahimov", "Соколова", "Toshmatov", "Кузнецов")


# --- server processes and their memory ------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def worker_pids(root: int) -> list[int]:
    """Every descendant of the server process (gunicorn's master and its workers)."""
    pids, queue = [], [root]
    while queue:
        pid = queue.pop()
        kids = _children(pid)
        pids += kids
        queue += kids
    return pids or [root]


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peaks(pids: list[int]) -> dict[int, int]:
    """Reset each process's peak RSS to its current RSS (`echo 5 > clear_refs`); return the RSS."""
    before = {}
    for pid in pids:
        with contextlib.suppress(OSError):  # not Linux, or not allowed: the peak then counts from start
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        before[pid] = _status_kb(pid, "VmRSS")
    return before


def peak_gain_mb(before: dict[int, int]) -> tuple[float, float]:
    """(largest gain of peak RSS over the RSS at reset, that process's peak) in MB."""
    best = (0.0, 0.0)
    for pid, rss in before.items():
        try:
            peak = _status_kb(pid, "VmHWM")
        except OSError:
            continue
        gain = (peak - rss) / 1024
        if gain >= best[0]:
            best = (gain, peak / 1024)
    return best


# --- HTTP --------------------------------------------------------------------------------------------


def _request(base: str, path: str, tenant: dict, body: dict | None = None, timeout: float = 600):
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method="POST" if body is not None else "GET",
        headers={
            "Authorization": f"Bearer {tenant['token']}",
            "X-Tenant-Key": tenant["key"],
            "Content-Type": "application/json",
        },
    )
    return urllib.request.urlopen(request, timeout=timeout)


def import_rows(seed: int) -> list[dict]:
    rows = []
    for i in range(IMPORT_ROWS):
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i // 7) % len(LAST_NAMES)]
        row = {
            "clientType": "company" if i % 10 == 0 else "individual",
            "name": f"{first} {last} {seed}-{i}",
            "email": f"import{seed}-{i}@example.com",
            "phone": f"+7916{seed % 100:02d}{i:05d}",
            "status": "active",
            "segment": ("VIP", "regular", "wholesale", "retail")[i % 4],
            "tags": ["Импорт", ("Опт", "Розница")[i % 2]],
            "city": "Москва",
        }
        if i % 10 == 0:
            row["companyName"] = f"ООО «{last} {i}»"
            row["taxId"] = f"77{i:08d}"
        rows.append(row)
    return rows


def measure_import(base: str, tenant: dict, pids: list[int]) -> list[dict]:
    rows = import_rows(int(time.time()) % 10_000)
    body = {"clients": rows}
    size_mb = len(json.dumps(body, ensure_ascii=False).encode()) / 1e6
    results = []
    for label in ("10,000 new rows", "the same 10,000 rows again (all duplicates)"):
        before = reset_peaks(pids)
        started = time.perf_counter()
        with _request(base, "/api/clients/import", tenant, body) as response:
            answer = json.loads(response.read())
        seconds = time.perf_counter() - started
        gain, peak = peak_gain_mb(before)
        results.append(
            {
                "what": f"import {label}",
                "seconds": seconds,
                "rows_per_s": IMPORT_ROWS / seconds,
                "body_mb": size_mb,
                "success": answer["results"]["success"],
                "failed": answer["results"]["failed"],
                "peak_gain_mb": gain,
                "peak_mb": peak,
            }
        )
    return results


def measure_export(base: str, tenant: dict, label: str, kind: str, pids: list[int]) -> dict:
    before = reset_peaks(pids)
    started = time.perf_counter()
    size = 0
    first_byte = None
    with _request(base, f"/api/clients/export?format={kind}", tenant) as response:
        while True:
            chunk = response.read(1 << 16)
            if first_byte is None:
                first_byte = time.perf_counter() - started
            if not chunk:
                break
            size += len(chunk)
    seconds = time.perf_counter() - started
    gain, peak = peak_gain_mb(before)
    return {
        "what": f"export {kind} @{label} ({tenant['customers']:,} clients)",
        "seconds": seconds,
        "first_byte_s": first_byte or 0.0,
        "mb": size / 1e6,
        "rows_per_s": tenant["customers"] / seconds,
        "peak_gain_mb": gain,
        "peak_mb": peak,
    }


# --- context -----------------------------------------------------------------------------------------


def prepare(import_store: str) -> dict:
    from django.db import connection
    from rest_framework_simplejwt.tokens import RefreshToken

    from benchmarks.prepare import BIG_TENANT, SMALL_TENANT, _search_terms
    from savdo.accounts.models import User
    from savdo.customers.models import Customer, Tag
    from savdo.tenancy.models import Membership, Role, Tenant

    def context(tenant: Tenant) -> dict:
        owner = Membership.objects.filter(tenant=tenant, role=Role.OWNER).select_related("user").first().user
        total = Customer.objects.for_tenant(tenant).count()
        return {
            "id": tenant.pk,
            "key": tenant.key,
            "token": str(RefreshToken.for_user(owner).access_token),
            "customers": total,
            "deep_page": max(1, (total // 20) * 9 // 10),
            "search_terms": _search_terms(tenant),
        }

    big = Tenant.objects.get(name=BIG_TENANT)
    small = Tenant.objects.get(name=SMALL_TENANT)
    # A tag on every tenth customer of the big store (document 002 `?tags=`), once.
    tag, created = Tag.objects.get_or_create(tenant=big, name="Bench VIP", defaults={"color": "#FFD700"})
    if created:
        through = Customer.tags.through
        ids = Customer.objects.for_tenant(big).order_by("id").values_list("id", flat=True)[::10]
        through.objects.bulk_create([through(customer_id=pk, tag_id=tag.pk) for pk in ids], batch_size=10_000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in (Customer._meta.db_table, Customer.tags.through._meta.db_table):
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
    store = Tenant.objects.create(name=import_store)
    owner = User.objects.create_user(username=f"import-owner-{store.pk}", password=None)
    Membership.objects.create(user=owner, tenant=store, role=Role.OWNER)
    importer = {
        "id": store.pk,
        "key": store.key,
        "token": str(RefreshToken.for_user(owner).access_token),
        "customers": 0,
    }
    return {"big": context(big), "small": context(small), "import": importer, "tag": tag.pk}


def scenarios(ctx: dict) -> list[tuple[str, str, list[str]]]:
    """(label, name, paths) of the wrk rows."""
    rows = []
    for label, tenant in (("1M", ctx["big"]), ("10k", ctx["small"])):
        rows += [
            (label, "list page 1", ["/api/clients"]),
            (label, f"list deep page {tenant['deep_page']}", [f"/api/clients?page={tenant['deep_page']}"]),
            (label, "list page 1, limit=100", ["/api/clients?limit=100"]),
            (label, "list sortBy=totalRevenue", ["/api/clients?sortBy=totalRevenue"]),
            (label, "list sortBy=name asc", ["/api/clients?sortBy=name&sortOrder=asc"]),
        ]
        for kind, terms in tenant["search_terms"].items():
            rows.append((label, f"search: {kind}", [f"/api/clients?search={quote(term)}" for term in terms]))
    rows.append(("1M", "tags filter (10 % of clients)", [f"/api/clients?tags={ctx['tag']}"]))
    rows.append(("1M", "stats", ["/api/clients/stats"]))
    return rows


# --- report --------------------------------------------------------------------------------------------


def report(args, ctx, imports, exports, loads, elapsed) -> str:
    lines = [
        f"# Savdo clients (document 002) benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}",
        "",
        f"Machine: {machine()}. Server: gunicorn, {args.workers} workers x {args.threads} threads, production "
        f"settings, PostgreSQL + Redis, response cache {'OFF' if getattr(args, 'no_response_cache', False) else 'on'}, "
        f"{without_header(args)}. "
        f"Database: `savdo generate --customers {args.customers}` "
        f"(big store {ctx['big']['customers']:,} clients, 10k store {ctx['small']['customers']:,}). "
        f"Run took {elapsed / 60:.1f} min.",
        "",
    ]
    if imports:
        lines += [
            "## Import (one request)",
            "",
            "| what | body MB | seconds | rows/s | success | failed | worker peak +MB | worker peak MB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {r['what']} | {r['body_mb']:.2f} | {r['seconds']:.2f} | {r['rows_per_s']:.0f} | {r['success']} | "
            f"{r['failed']} | {r['peak_gain_mb']:.1f} | {r['peak_mb']:.1f} |"
            for r in imports
        ]
        lines.append("")
    if exports:
        lines += [
            "## Export (streamed, read to the end)",
            "",
            "| what | MB | first byte s | seconds | rows/s | worker peak +MB | worker peak MB |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {r['what']} | {r['mb']:.1f} | {r['first_byte_s']:.2f} | {r['seconds']:.1f} | {r['rows_per_s']:.0f} | "
            f"{r['peak_gain_mb']:.1f} | {r['peak_mb']:.1f} |"
            for r in exports
        ]
        lines += [
            "",
            "`worker peak +MB`: how far the serving worker's peak resident memory rose above its resident memory "
            "just before the request (Linux VmHWM after `clear_refs`). Flat memory: the same for both stores.",
            "",
        ]
    if loads:
        lines += [
            "## List and search under load (wrk vs the /healthz floor)",
            "",
            f"{args.rounds} rounds x {args.duration}s per side, concurrency {args.concurrency}; medians.",
            "",
            "| store | scenario | req/s | floor req/s | ratio | target | p50 ms | p95 ms | SQL q/req | SQL ms/req "
            "| non-2xx |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for label, name, rounds, floor in loads:
            rps = median([m.rps for m in rounds])
            floor_rps = median([m.rps for m in floor])
            ratio = rps / floor_rps if floor_rps else 0
            mark = "ok" if ratio >= 0.25 else "MISSED"
            lines.append(
                f"| {label} | {name} | {rps:.0f} | {floor_rps:.0f} | {ratio:.1%} | 25% {mark} | "
                f"{median([m.p50_ms for m in rounds]):.1f} | {median([m.p95_ms for m in rounds]):.1f} | "
                f"{median([m.sql_q for m in rounds]):.1f} | {median([m.sql_ms for m in rounds]):.2f} | "
                f"{sum(m.bad for m in rounds)} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_CLIENTS_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=None, help="default: 0.73 per customer (as run.py)")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--only", default="", help="import, export or load")
    parser.add_argument(
        "--no-response-cache",
        action="store_true",
        help="serve every read from the database (SAVDO_RESPONSE_CACHE=0): what a first, uncached request costs; "
        "the same as --without readcache",
    )
    add_without_option(parser)
    args = parser.parse_args()
    resolve_without(args)

    env = bench_env(args.database_url)
    env["SAVDO_MAX_BODY_BYTES"] = str(BODY_LIMIT)
    env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
    env.update(without_env(args.without))
    os.environ.update(env)
    started = time.monotonic()
    ensure_database(args.database_url)
    run_step([savdo_bin(), "migrate", "--noinput", "-v0"], env, "migrating the benchmark database")
    import django

    django.setup()
    from benchmarks.prepare import bench_database_ready

    if not bench_database_ready():
        sales = args.sales if args.sales is not None else int(args.customers * 0.73)
        print(f"generating: {args.customers} customers, {sales} sales ...", flush=True)
        run_step(
            [savdo_bin(), "generate", "--customers", str(args.customers), "--sales", str(sales)],
            env,
            "generating the benchmark data",
        )
    ctx = prepare(f"Bench import shop {datetime.now(UTC):%Y%m%d%H%M%S}")

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
    imports, exports, loads = [], [], []
    try:
        wait_for(f"{base}/healthz")
        for _ in range(4 * args.workers):  # every worker imports and connects before memory is read
            _request(base, "/api/clients?limit=1", ctx["small"]).read()
        pids = worker_pids(server.pid)
        if args.only in ("", "import"):
            print("- import", flush=True)
            imports = measure_import(base, ctx["import"], pids)
        if args.only in ("", "export"):
            for kind in ("csv", "json"):
                for label in ("10k", "1M"):
                    print(f"- export {kind} @{label}", flush=True)
                    exports.append(measure_export(base, ctx["big" if label == "1M" else "small"], label, kind, pids))
        if args.only in ("", "load"):
            floor_script = lua.get_script(["/healthz"], {})
            for label, name, paths in scenarios(ctx):
                tenant = ctx["big" if label == "1M" else "small"]
                headers = {"Authorization": f"Bearer {tenant['token']}", "X-Tenant-Key": tenant["key"]}
                script = lua.get_script(paths, headers)
                print(f"- {name} @{label}", flush=True)
                rounds, floor = [], []
                for _ in range(args.rounds):
                    floor.append(run_wrk(base, floor_script, args.concurrency, args.duration))
                    rounds.append(run_wrk(base, script, args.concurrency, args.duration))
                loads.append((label, name, rounds, floor))
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = report(args, ctx, imports, exports, loads, time.monotonic() - started)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{datetime.now(UTC):%Y-%m-%d-%H%M}-{commit()}-clients{without_suffix(args.without)}.md"
    path.write_text(text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
