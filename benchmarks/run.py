#!/usr/bin/env python3
"""Savdo benchmark: production server on PostgreSQL, loaded by wrk on 127.0.0.1, floor-relative.

    .venv/bin/python benchmarks/run.py                 # create + generate the 1M-customer database if absent, run all
    .venv/bin/python benchmarks/run.py --only customers --duration 5 --rounds 3
    .venv/bin/python benchmarks/run.py --only cashier --without fixed,batching   # the same, those fast paths off

Why wrk: a C load generator (Debian package `wrk`) costs the 2-core machine far less CPU than a
Python one (locust), so the server, not the load tool, is what is measured; its Lua hooks let
one script drive a multi-step cashier flow and read our per-response SQL header.

Method: for every scenario, A B A B ... (A = the floor, `/healthz`, no database; B = the
scenario), `--rounds` rounds of `--duration` seconds each; medians. Reported per scenario:
requests/s, ratio to the floor's requests/s, p50/p95 latency, SQL queries and SQL ms per request
(from the `X-Savdo-SQL` header the server adds with SAVDO_SQL_STATS=1; these two do not depend on
machine noise). Results: `benchmarks/results/<date>-<commit>[-without-<names>].md`.

`--without NAME[,NAME...]` switches fast paths off for the server (each name sets the environment
that does it, `FAST_PATHS`; docs/architecture.md lists what each saves), so that a run can be set
beside the same run with them; the report's header names them.
"""

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import lua  # noqa: E402
from benchmarks.scenarios import build_scenarios  # noqa: E402

BENCH_SECRET = "bench-" + "k" * 60
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/savdo_bench"

# `--without` names: each fast path, and the server environment that switches it off.
FAST_PATHS: dict[str, dict[str, str]] = {
    "fixed": {"SAVDO_FIXED_QUERIES": "0"},  # savdo/core/fixed.py
    "batching": {"SAVDO_BATCHED_COMMIT": "0"},  # savdo/core/batching.py
    "async-commit": {"SAVDO_CART_ASYNC_COMMIT": "0"},  # savdo/core/batching.py, commit_without_flush
    "pg-backend": {"SAVDO_PG_BACKEND": "0"},  # savdo/core/postgresql/ (and with it the prepared statements)
    "prepared": {"SAVDO_DB_PREPARED": "0"},  # savdo/core/postgresql/base.py, PreparingCursor
    "plain": {"SAVDO_PLAIN_INPUTS": "0"},  # savdo/api/plain.py
    "fastlists": {"SAVDO_FAST_LISTS": "0"},  # savdo/api/fastlists.py
    "readcache": {"SAVDO_RESPONSE_CACHE": "0"},  # savdo/api/readcache.py
    "local-answers": {"SAVDO_LOCAL_ANSWERS_MB": "0"},  # savdo/api/readcache.py, LocalAnswers
    "principals": {"SAVDO_PRINCIPAL_CACHE": "0"},  # savdo/api/principals.py
    "counts": {"SAVDO_CACHED_COUNTS": "0"},  # savdo/core/counts.py
    "rls": {"SAVDO_RLS": "0"},  # savdo/core/rls.py: not a fast path, the second lock; what it costs
}


@dataclass
class Measurement:
    rps: float
    p50_ms: float
    p95_ms: float
    sql_q: float
    sql_ms: float
    bad: int
    socket_errors: int
    flows_per_s: float = 0.0


@dataclass
class Result:
    scenario: str
    group: str
    concurrency: int
    rounds: list[Measurement] = field(default_factory=list)
    floor: list[Measurement] = field(default_factory=list)
    note: str = ""
    if_missed: str = ""


def bench_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SAVDO_ENV": "production",
            "DEBUG": "0",
            "SECRET_KEY": BENCH_SECRET,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SAVDO_SSL_REDIRECT": "0",
            "SAVDO_SQL_STATS": "1",
            "SAVDO_THROTTLE_USER": "100000000/min",
            "SAVDO_THROTTLE_ANON": "100000000/min",
            "SAVDO_THROTTLE_AUTH": "100000000/min",
            "SAVDO_ACCESS_TOKEN_MINUTES": "600",
            "SAVDO_BENCHMARK": "1",
            "DATABASE_URL": database_url,
            "REDIS_URL": env.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"),
            "DJANGO_SETTINGS_MODULE": "savdo.settings",
        }
    )
    return env


def without_names(value: str) -> list[str]:
    """The fast paths a `--without` value names (comma separated); unknown names are refused."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in FAST_PATHS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown fast path {', '.join(unknown) or repr(value)}; known: {', '.join(FAST_PATHS)}"
        )
    return names


def add_without_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--without",
        type=without_names,
        action="append",
        default=[],
        metavar="NAME[,NAME...]",
        help=f"switch these fast paths off on the server, to set the run beside the same run with them: "
        f"{', '.join(FAST_PATHS)} (repeatable)",
    )


def resolve_without(args) -> list[str]:
    """Set `args.without` to the fast paths switched off, once each in `FAST_PATHS` order: those of
    every `--without`, and those of the older flags (`--no-response-cache`: readcache, `--no-rls`:
    rls), which are then set from it; returns it."""
    names = {name for group in getattr(args, "without", None) or [] for name in group}
    if getattr(args, "no_response_cache", False):
        names.add("readcache")
    if getattr(args, "no_rls", False):
        names.add("rls")
    args.without = [name for name in FAST_PATHS if name in names]
    args.no_response_cache = "readcache" in args.without
    args.no_rls = "rls" in args.without
    return args.without


def without_env(names: list[str]) -> dict[str, str]:
    """The server environment that switches these fast paths off."""
    env: dict[str, str] = {}
    for name in names:
        env.update(FAST_PATHS[name])
    return env


def without_suffix(names: list[str]) -> str:
    """The results file name's suffix: `-without-fixed+batching`, or nothing."""
    return f"-without-{'+'.join(names)}" if names else ""


def without_header(args) -> str:
    """The report header's words on the fast paths."""
    names = getattr(args, "without", None) or []
    return f"fast paths OFF: {', '.join(names)}" if names else "every fast path on"


def ensure_database(database_url: str) -> bool:
    """Create the benchmark's PostgreSQL database if it is not there; True if it was created.

    Refuses in one line (SystemExit) when PostgreSQL cannot be reached or the database cannot be
    created, saying what to do."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(database_url)
    if "postgresql" not in config["ENGINE"]:
        raise SystemExit(f"the benchmark runs on PostgreSQL: --database-url {database_url} is not a postgres:// URL")
    name = config["NAME"]
    where = f"{config['HOST'] or 'localhost'}:{config['PORT'] or 5432}"
    params = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
        "dbname": "postgres",
        "connect_timeout": 5,
    }
    try:
        with psycopg.connect(**params, autocommit=True) as connection:
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return False
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0].strip()
        raise SystemExit(
            f"PostgreSQL at {where} cannot give the benchmark its database {name!r} ({reason}): start PostgreSQL, "
            f"or create the database yourself (createdb -h {config['HOST'] or 'localhost'} "
            f"-U {config['USER'] or 'postgres'} {name}), or point --database-url / BENCH_DATABASE_URL at one."
        ) from None
    print(f"created the benchmark database {name!r} on {where}", flush=True)
    return True


def run_step(argv: list[str], env: dict[str, str], what: str) -> None:
    """Run a `savdo` command; a failure ends the benchmark with one line (its own output above it)."""
    if subprocess.run(argv, env=env, cwd=ROOT).returncode != 0:
        raise SystemExit(f"{what} failed (`{' '.join(argv[1:])}`): see its message above")


def savdo_bin() -> str:
    candidate = Path(sys.executable).parent / "savdo"
    return str(candidate) if candidate.exists() else "savdo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not answer {url}")


def run_wrk(base: str, script: str, concurrency: int, duration: int, threads: int | None = None) -> Measurement:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        path = handle.name
    threads = threads or min(concurrency, 2)
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(concurrency),
        "-d",
        f"{duration}s",
        "--timeout",
        "10s",
        "-s",
        path,
        base,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    os.unlink(path)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("JSON{")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary: {out.stdout}\n{out.stderr}")
    data = json.loads(line[4:])
    seconds = data["duration_us"] / 1e6 or 1
    n = data["sql_n"] or 1
    return Measurement(
        rps=data["requests"] / seconds,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        sql_q=data["sql_q"] / n,
        sql_ms=data["sql_ms"] / n,
        bad=data["bad_status"],
        socket_errors=data["socket_errors"],
        flows_per_s=data["flows"] / seconds,
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as handle:
            kib = int(handle.readline().split()[1])
            mem = f"{kib / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {mem} RAM, {platform.platform()}, Python {platform.python_version()}"


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report(results: list[Result], args, elapsed: float, notes: list[str]) -> str:
    server = getattr(args, "server", "front")  # the other benchmarks' options have no --server
    lines = [
        f"# Savdo benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}",
        "",
        f"Machine: {machine()}. Server: gunicorn ({server}), {args.workers} workers x {args.threads} threads "
        "(a socket each), production "
        f"settings, PostgreSQL + Redis, response cache {'OFF' if args.no_response_cache else 'on'}, "
        f"row-level security {'OFF' if getattr(args, 'no_rls', False) else 'on'}, {without_header(args)}. "
        f"Load: wrk on 127.0.0.1, {args.rounds} rounds x {args.duration}s per side, "
        f"floor (/healthz) alternated with each scenario; medians. Run took {elapsed / 60:.1f} min.",
        "",
        "| group | scenario | conc. | req/s | floor req/s | ratio | target | p50 ms | p95 ms | SQL q/req | SQL ms/req"
        " | non-2xx |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    missed: dict[str, list[str]] = {}
    for result in results:
        rps = median([m.rps for m in result.rounds])
        floor = median([m.rps for m in result.floor])
        ratio = rps / floor if floor else 0
        target = 0.10 if result.group == "cashier" else 0.25
        mark = "ok" if ratio >= target else "MISSED"
        if mark == "MISSED":
            why = result.if_missed or "no explanation recorded for this scenario"
            missed.setdefault(why, []).append(f"{result.group} / {result.scenario} (c={result.concurrency})")
        lines.append(
            f"| {result.group} | {result.scenario} | {result.concurrency} | {rps:.0f} | {floor:.0f} | "
            f"{ratio:.1%} | {target:.0%} {mark} | {median([m.p50_ms for m in result.rounds]):.1f} | "
            f"{median([m.p95_ms for m in result.rounds]):.1f} | {median([m.sql_q for m in result.rounds]):.1f} | "
            f"{median([m.sql_ms for m in result.rounds]):.2f} | {sum(m.bad for m in result.rounds)} |"
        )
    lines += ["", *notes]
    if missed:
        lines += ["", "Missed targets, why, and what would fix them:"]
        lines += [f"- {', '.join(rows)}: {why}" for why, rows in missed.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--duration", type=int, default=8, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--server",
        choices=["front", "gthread"],
        default="front",
        help="front: `savdo serve` (requests read whole on an event loop, savdo/front.py); gthread: gunicorn's "
        "threaded WSGI worker on the same application, to measure what the front costs",
    )
    parser.add_argument("--only", default="", help="run only scenarios whose group or name contains this")
    parser.add_argument("--skip", default="", help="skip scenarios whose group or name contains this")
    parser.add_argument("--concurrency", type=int, default=0, help="run only scenarios at this concurrency")
    parser.add_argument("--generate", action="store_true", help="(re)generate the benchmark database first")
    parser.add_argument(
        "--no-response-cache",
        action="store_true",
        help="serve every read from the database (SAVDO_RESPONSE_CACHE=0): what a first, uncached request costs; "
        "the same as --without readcache",
    )
    parser.add_argument(
        "--no-rls",
        action="store_true",
        help="requests not bound by PostgreSQL row-level security (SAVDO_RLS=0): what the second lock costs; "
        "the same as --without rls",
    )
    add_without_option(parser)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=730_000, help="sales to generate (about 3 lines each)")
    args = parser.parse_args()
    resolve_without(args)

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian/Ubuntu)")
    env = bench_env(args.database_url)
    env["SAVDO_RLS"] = "1"
    env.update(without_env(args.without))
    os.environ.update(env)
    started = time.monotonic()

    ensure_database(args.database_url)
    run_step([savdo_bin(), "migrate", "--noinput", "-v0"], env, "migrating the benchmark database")
    import django

    django.setup()
    from benchmarks.prepare import bench_database_ready, prepare_context

    if args.generate or not bench_database_ready():
        print(f"generating: {args.customers} customers, {args.sales} sales ...", flush=True)
        run_step(
            [savdo_bin(), "generate", "--customers", str(args.customers), "--sales", str(args.sales)],
            env,
            "generating the benchmark data",
        )
    context = prepare_context()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if args.server == "gthread":  # the threaded WSGI server savdo serve used before its front
        command = [
            *(str(Path(savdo_bin()).parent / "gunicorn"), "savdo.wsgi:application", "--worker-class", "gthread"),
            *("--bind", f"127.0.0.1:{port}", "--reuse-port", "--access-logfile", "/dev/null"),
            *("--workers", str(args.workers), "--threads", str(args.threads)),
        ]
    else:
        command = [
            *(savdo_bin(), "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", str(args.workers), "--threads", str(args.threads)),
        ]
    server = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: list[Result] = []
    notes: list[str] = []
    try:
        wait_for(f"{base}/healthz")
        scenarios = build_scenarios(context, base)
        floor_script = lua.get_script(["/healthz"], {})
        for scenario in scenarios:
            if args.only and args.only not in scenario.group and args.only not in scenario.name:
                continue
            if args.skip and (args.skip in scenario.group or args.skip in scenario.name):
                continue
            if args.concurrency and scenario.concurrency != args.concurrency:
                continue
            print(f"- {scenario.group}: {scenario.name} (c={scenario.concurrency})", flush=True)
            result = Result(
                scenario.name, scenario.group, scenario.concurrency, note=scenario.note, if_missed=scenario.if_missed
            )
            for _ in range(args.rounds):
                result.floor.append(run_wrk(base, floor_script, scenario.concurrency, args.duration))
                if scenario.before_round:
                    scenario.before_round()
                result.rounds.append(
                    run_wrk(base, scenario.script, scenario.concurrency, args.duration, scenario.threads)
                )
            results.append(result)
            if scenario.note:
                notes.append(f"- {scenario.group} / {scenario.name}: {scenario.note}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    notes.extend(context.get("notes", []))
    text = report(results, args, time.monotonic() - started, notes)
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = without_suffix(args.without) + ("-gthread" if args.server == "gthread" else "")
    path = out_dir / f"{datetime.now(UTC):%Y-%m-%d-%H%M}-{commit()}{suffix}.md"
    path.write_text(text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
