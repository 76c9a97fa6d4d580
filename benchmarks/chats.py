#!/usr/bin/env python3
"""Chats benchmark (issue 20): the messenger webhook under a burst, and the chats list at scale.

    .venv/bin/python benchmarks/chats.py                          # 10,000 messages / 2,000 people, 50,000 chats
    .venv/bin/python benchmarks/chats.py --messages 2000 --people 400 --chats 10000 --duration 5
    .venv/bin/python benchmarks/chats.py --without fixed,batching   # what those fast paths save (run.py --help)

Same method and machinery as `benchmarks/run.py` (production server: gunicorn on PostgreSQL +
Redis; wrk on 127.0.0.1; the floor `/healthz` measured beside every scenario; medians):

- **webhook burst**: `--messages` Telegram updates from `--people` people (each person's messages
  spread over the burst, so first messages, which create a client, come early and mix with the
  rest) posted as Telegram posts them (secret-token header) by `--concurrency` connections, as
  fast as the server answers. Reported: messages per second over the whole burst, against the
  floor's requests per second at the same concurrency. Checked afterwards: every message stored
  once, one client per person, nothing else.
- **replayed burst**: the same updates again (Telegram retrying): every one answers 200 and stores
  nothing.
- **chats list @N**: `GET /api/chats` of a store with `--chats` chats (each with a client with a
  tag, and a last message), page 1, a deep page, a search, and two filters.

Data lives in its own database (`--database-url`, default `savdo_bench_chats`), made once and
reused; `--fresh` drops the burst's store to run it again. Results: `benchmarks/results/
<date>-<commit>-chats[-without-<names>].md`.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import lua  # noqa: E402
from benchmarks.run import (  # noqa: E402
    Measurement,
    Result,
    add_without_option,
    bench_env,
    commit,
    ensure_database,
    free_port,
    median,
    report,
    resolve_without,
    run_step,
    run_wrk,
    savdo_bin,
    wait_for,
    without_env,
    without_suffix,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/savdo_bench_chats"
BURST_TENANT = "Bench chats: webhook burst"
LIST_TENANT = "Bench chats: {n} chats"
BOT_TOKEN = "7000000099:BENCH-bot-token-placeholder-000000"
FIRST_USER = 7_100_000_000  # Telegram user ids beyond 32 bits, as real ones are

BURST_IF_MISSED = (
    "a webhook is a write transaction (the message, the chat's counters; for a first message also "
    "the client, its change-log row, the person and the chat), ~4 round trips to PostgreSQL for a known "
    "person and ~15 for a new one, on the same 2 cores as the load generator, PostgreSQL and Redis. "
    "Would fix it: the message insert and the chat's counter update in one statement (a CTE), the "
    "channel looked up from a per-process cache keyed by the webhook key, fewer round trips in "
    "customer creation, or more cores. Providers retry and queue on their side, so a burst is "
    "absorbed, only later."
)
LIST_IF_MISSED = (
    "the chats list is a count and a page over the (tenant, last_message_at) index plus 3 prefetch "
    "queries (clients, tags); not cached by the response cache (every message changes it)."
)


# --- data ---------------------------------------------------------------------------------------


def _store(name: str):
    from savdo.accounts.models import User
    from savdo.tenancy.models import Membership, Role, Tenant

    tenant, _created = Tenant.objects.get_or_create(name=name)
    owner = User.objects.filter(username=f"bench-chats-{tenant.pk}").first()
    if owner is None:
        owner = User.objects.create_user(username=f"bench-chats-{tenant.pk}", password=None, first_name="Bench")
        Membership.objects.create(user=owner, tenant=tenant, role=Role.OWNER)
    return tenant, owner


def _token(user) -> str:
    from rest_framework_simplejwt.tokens import RefreshToken

    return str(RefreshToken.for_user(user).access_token)


def prepare_burst(fresh: bool) -> dict:
    """An empty store with a Telegram channel (a fresh one each run, so the burst meets no client)."""
    from django.db import transaction

    from savdo.messaging import services
    from savdo.messaging.models import Channel
    from savdo.tenancy.models import Tenant

    if fresh or Tenant.objects.filter(name=BURST_TENANT).exists():
        _drop_store(BURST_TENANT)
    tenant, _owner = _store(BURST_TENANT)
    with transaction.atomic():
        channel = services.channel_connect(
            tenant=tenant,
            kind="telegram",
            provider="telegram",
            name="Bench bot",
            webhook_base_url="http://127.0.0.1",
            register=False,
            bot_token=BOT_TOKEN,
        )
    channel = Channel.objects.get(pk=channel.pk)
    return {
        "tenant": tenant.pk,
        "path": f"/api/webhooks/telegram/{channel.webhook_key}",
        "secret": channel.credentials()["webhook_secret"],
    }


def _drop_store(name: str) -> None:
    """Remove a store and everything in it (raw deletes in dependency order: fast, no signals)."""
    from django.db import connection

    from savdo.tenancy.models import Tenant

    tenant = Tenant.objects.filter(name=name).first()
    if tenant is None:
        return
    tables = [
        "messaging_deliveryevent",
        "messaging_chatclient",
        "messaging_message",
        "messaging_chat",
        "messaging_messengeridentity",
        "messaging_channel",
        "audit_changelogentry",
        "customers_customer_tags",
        "customers_customer",
    ]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE messaging_chat SET last_message_id = NULL WHERE tenant_id = %s", [tenant.pk])
        for table in tables:
            if table == "customers_customer_tags":
                cursor.execute(
                    "DELETE FROM customers_customer_tags WHERE customer_id IN "
                    "(SELECT id FROM customers_customer WHERE tenant_id = %s)",
                    [tenant.pk],
                )
            else:
                cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])
    tenant.delete()


def prepare_list(chats: int) -> dict:
    """A store with `chats` chats (made once): each with a person, a client with one of 20 tags,
    and three messages; 30% unread, 20% closed, half WhatsApp; written in bulk."""
    from django.utils import timezone

    from savdo.customers.models import Customer, Tag
    from savdo.messaging import services
    from savdo.messaging.models import Chat, ChatClient, Message, MessengerIdentity
    from savdo.messaging.selectors import chat_search_text
    from savdo.tenancy.models import Tenant

    name = LIST_TENANT.format(n=chats)
    tenant, owner = _store(name)
    existing = Chat.objects.for_tenant(tenant).count()
    if existing < chats:
        if existing:
            _drop_store(name)
            tenant, owner = _store(name)
        print(f"generating {chats} chats ...", flush=True)
        rng = random.Random(20)
        telegram = services.channel_connect(
            tenant=tenant, kind="telegram", provider="telegram", name="Bot", webhook_base_url="http://127.0.0.1",
            register=False, bot_token="7000000098:BENCH-bot-token-placeholder-000000",
        )  # fmt: skip
        whatsapp = services.channel_connect(
            tenant=tenant, kind="whatsapp", provider="evolution", name="WA", webhook_base_url="http://127.0.0.1",
            register=False, api_url="http://127.0.0.1:9", api_key="k", instance="bench",
        )  # fmt: skip
        tags = Tag.objects.bulk_create([Tag(tenant=tenant, name=f"Tag {n}", color="#4CAF50") for n in range(20)])
        now = timezone.now()
        step = 5000
        for start in range(0, chats, step):
            size = min(step, chats - start)
            people = []
            for n in range(start, start + size):
                wa = n % 2 == 0
                external = f"9989{n:08d}@s.whatsapp.net" if wa else str(FIRST_USER + 500_000_000 + n)
                people.append((wa, external, f"Клиент {n} Karimov" if n % 3 else f"Mijoz {n} Rahimova"))
            customers = Customer.objects.bulk_create(
                [
                    Customer(
                        tenant=tenant,
                        display_name=label,
                        first_name=label.split()[0],
                        last_name=label.split()[-1],
                        phone=f"+{external.split('@')[0]}" if wa else "",
                        status="potential",
                        source="whatsapp" if wa else "telegram",
                        whatsapp_jid=external if wa else "",
                        telegram_user_id="" if wa else external,
                    )
                    for wa, external, label in people
                ],
                batch_size=2000,
            )
            Customer.tags.through.objects.bulk_create(
                [Customer.tags.through(customer_id=c.pk, tag_id=rng.choice(tags).pk) for c in customers],
                batch_size=5000,
            )
            identities = MessengerIdentity.objects.bulk_create(
                [
                    MessengerIdentity(tenant=tenant, kind="whatsapp" if wa else "telegram", external_id=ext, customer=c)
                    for (wa, ext, _label), c in zip(people, customers, strict=True)
                ],
                batch_size=2000,
            )
            rows = []
            for (wa, ext, label), identity in zip(people, identities, strict=True):
                at = now - timedelta(minutes=rng.randrange(60 * 24 * 90))
                rows.append(
                    Chat(
                        tenant=tenant,
                        channel=whatsapp if wa else telegram,
                        kind="whatsapp" if wa else "telegram",
                        external_chat_id=ext,
                        identity=identity,
                        name=label,
                        phone=f"+{ext.split('@')[0]}" if wa else "",
                        status="closed" if rng.random() < 0.2 else "open",
                        unread_count=rng.randint(1, 4) if rng.random() < 0.3 else 0,
                        last_message_at=at,
                        search_text=chat_search_text(name=label, username="", phone=ext.split("@")[0] if wa else ""),
                    )
                )
            chat_rows = Chat.objects.bulk_create(rows, batch_size=2000)
            ChatClient.objects.bulk_create(
                [
                    ChatClient(tenant=tenant, chat=chat, customer_id=identity.customer_id)
                    for chat, identity in zip(chat_rows, identities, strict=True)
                ],
                batch_size=2000,
            )
            messages = Message.objects.bulk_create(
                [
                    Message(
                        tenant=tenant,
                        chat=chat,
                        direction=direction,
                        text=text,
                        external_id=f"b{chat.pk}-{k}",
                        status="received" if direction == "in" else "read",
                        sent_at=chat.last_message_at,
                    )
                    for chat in chat_rows
                    for k, (direction, text) in enumerate(
                        [("in", "Здравствуйте! Есть в наличии?"), ("out", "Да, есть."), ("in", "Rahmat!")]
                    )
                ],
                batch_size=3000,
            )
            last = {m.chat_id: m.pk for m in messages}
            for chat in chat_rows:
                chat.last_message_id = last[chat.pk]
            Chat.objects.filter(tenant=tenant).bulk_update(chat_rows, ["last_message_id"], batch_size=2000)
            print(f"  {start + size} chats", flush=True)
        from django.db import connection

        with connection.cursor() as cursor:
            # What autovacuum does for a live store: statistics, and the visibility map that lets
            # counts read only the index.
            for table in ("messaging_chat", "messaging_chatclient", "messaging_message", "customers_customer"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    return {"tenant": tenant.pk, "key": Tenant.objects.get(pk=tenant.pk).key, "token": _token(owner)}


# --- wrk scripts --------------------------------------------------------------------------------


def burst_script(path: str, secret: str, messages: int, people: int, threads: int, *, endless: bool) -> str:
    """Each wrk thread posts its share of the burst (message k goes to person k % people), then
    only `/healthz` while its last answers arrive, and stops when they have."""
    template = json.dumps(
        {
            "update_id": 0,
            "message": {
                "message_id": 0,
                "from": {
                    "id": 0,
                    "is_bot": False,
                    "first_name": "Покупатель",
                    "last_name": "Bench",
                    "language_code": "ru",
                },
                "chat": {"id": 0, "first_name": "Покупатель", "last_name": "Bench", "type": "private"},
                "date": 1732611600,
                "text": "Здравствуйте! Есть ли в наличии рис девзира 5 кг? Xabar",
            },
        },
        ensure_ascii=True,
    )
    template = (
        template.replace('"update_id": 0', '"update_id": %d')
        .replace('"message_id": 0', '"message_id": %d')
        .replace('"id": 0, "is_bot"', '"id": %d, "is_bot"')
        .replace('"chat": {"id": 0', '"chat": {"id": %d')
        .replace("Xabar", "%d")
    )
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
    return (
        lua._COMMON
        + f"""
local total, people, nthreads, first_user, first_update = {messages}, {people}, {threads}, {FIRST_USER}, 100000000
local endless = {"true" if endless else "false"}
local template = {lua._lua_string(template)}
local path = {lua._lua_string(path)}
local headers = {lua._headers_table(headers)}
local mine, sent, verifying = 0, 0, false
function init(args)
  local me = (thread_index or 1) - 1
  mine = math.floor(total / nthreads) + ((me < total % nthreads) and 1 or 0)
  -- wrk calls the first thread's request() once to check the script, and never sends that one
  verifying = (me == 0)
end
function request()
  if verifying then
    verifying = false
    return wrk.format("GET", "/healthz")
  end
  if endless or sent < mine then
    local k = (((thread_index or 1) - 1) + sent * nthreads) % total
    sent = sent + 1
    local person = k % people
    local nth = math.floor(k / people)
    local body = string.format(template, first_update + k, nth + 1, first_user + person, first_user + person, k)
    return wrk.format("POST", path, headers, body)
  end
  return wrk.format("GET", "/healthz")
end
local answered, shown = 0, 0
function response(status, hdrs, body)
  record(status, hdrs)
  if body:find('"stored"', 1, true) then
    flows = flows + 1
  elseif not body:find('"status"', 1, true) or status >= 400 then
    answered = answered + 1  -- a webhook answered with an error (counted in non-2xx)
    if shown < 3 then
      io.stderr:write(string.format("webhook answered %d: %s\\n", status, body:sub(1, 300)))
      shown = shown + 1
    end
  end
end
"""
    )


# --- run ----------------------------------------------------------------------------------------


def _wrk_measurement(stdout: str, stderr: str) -> tuple[Measurement, float]:
    """wrk's JSON summary line as a Measurement (requests/s: webhook answers per second) and its
    duration in seconds."""
    if stderr.strip():
        print(stderr.strip(), flush=True)
    line = next((ln for ln in stdout.splitlines() if ln.startswith("JSON{")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary: {stdout}\n{stderr}")
    data = json.loads(line[4:])
    seconds = (data["duration_us"] / 1e6) or 1
    measurement = Measurement(
        rps=data["flows"] / seconds,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        sql_q=data["sql_q"] / (data["sql_n"] or 1),
        sql_ms=data["sql_ms"] / (data["sql_n"] or 1),
        bad=data["bad_status"],
        socket_errors=data["socket_errors"],
        flows_per_s=data["flows"] / seconds,
    )
    return measurement, seconds


def run_burst(base: str, burst: dict, args) -> tuple[Measurement, float]:
    """Post the burst once; its wall time is from the start until the store holds every message
    (polled every 0.1 s; wrk then gets SIGINT and prints its summary: wrk itself always runs for its
    whole `-d`)."""
    from savdo.messaging.models import Message

    threads = min(args.concurrency, 2)
    script = burst_script(burst["path"], burst["secret"], args.messages, args.people, threads, endless=False)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    cmd = ["wrk", "-t", str(threads), "-c", str(args.concurrency), "-d", "3600s", "--timeout", "60s", "-s", handle.name]
    stored = Message.objects.filter(tenant_id=burst["tenant"])
    started = time.monotonic()
    process = subprocess.Popen([*cmd, base], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while stored.count() < args.messages and process.poll() is None and time.monotonic() - started < 3500:
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
        os.unlink(handle.name)
    measurement, _seconds = _wrk_measurement(stdout, stderr)
    measurement.rps = args.messages / elapsed
    return measurement, elapsed


def run_replays(base: str, burst: dict, args) -> Measurement:
    """The burst's updates again and again for `--duration` seconds: every one a duplicate."""
    threads = min(args.concurrency, 2)
    script = burst_script(burst["path"], burst["secret"], args.messages, args.people, threads, endless=True)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    cmd = ["wrk", "-t", str(threads), "-c", str(args.concurrency), "-d", f"{args.duration}s", "--timeout", "60s"]
    out = subprocess.run([*cmd, "-s", handle.name, base], capture_output=True, text=True, timeout=args.duration + 120)
    os.unlink(handle.name)
    return _wrk_measurement(out.stdout, out.stderr)[0]


def check_burst(burst: dict, args) -> str:
    from savdo.customers.models import Customer
    from savdo.messaging.models import Chat, Message, MessengerIdentity

    tenant = burst["tenant"]
    found = {
        "messages": Message.objects.filter(tenant_id=tenant).count(),
        "chats": Chat.objects.filter(tenant_id=tenant).count(),
        "clients": Customer.objects.filter(tenant_id=tenant).count(),
        "identities": MessengerIdentity.objects.filter(tenant_id=tenant).count(),
    }
    expected = {"messages": args.messages, "chats": args.people, "clients": args.people, "identities": args.people}
    verdict = "as expected" if found == expected else f"NOT as expected (expected {expected})"
    return f"after the burst the store holds {found}: {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_CHATS_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--chats", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=int, default=6, help="seconds per list measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="(kept for clarity: the burst store is always fresh)")
    add_without_option(parser)
    args = parser.parse_args()
    resolve_without(args)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian/Ubuntu)")
    if args.people < 1 or args.messages < args.people:
        raise SystemExit("--messages must be at least --people (every person writes at least once)")

    env = bench_env(args.database_url)
    env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    env.update(without_env(args.without))
    os.environ.update(env)
    started = time.monotonic()
    ensure_database(args.database_url)
    run_step([savdo_bin(), "migrate", "--noinput", "-v0"], env, "migrating the benchmark database")
    import django

    django.setup()
    burst = None if args.skip_burst else prepare_burst(fresh=True)
    listing = None if args.skip_list else prepare_list(args.chats)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            *(savdo_bin(), "serve", "--no-migrate", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", str(args.workers), "--threads", str(args.threads)),
        ],
        env=env,
        cwd=ROOT,
    )
    results: list[Result] = []
    notes: list[str] = []
    try:
        wait_for(f"{base}/healthz")
        floor_script = lua.get_script(["/healthz"], {})
        run_wrk(base, floor_script, args.concurrency, 2)  # warm up
        if burst is not None:
            floor = [run_wrk(base, floor_script, args.concurrency, args.duration)]
            measurement, seconds = run_burst(base, burst, args)
            floor.append(run_wrk(base, floor_script, args.concurrency, args.duration))
            name = f"webhook burst: {args.messages} messages from {args.people} people (Telegram)"
            results.append(Result(name, "chats", args.concurrency, [measurement], floor, if_missed=BURST_IF_MISSED))
            notes.append(f"Burst: {seconds:.1f} s for {args.messages} messages; {check_burst(burst, args)}.")
            replays = Result(
                "replayed updates (each a duplicate: stores nothing)",
                "chats",
                args.concurrency,
                if_missed=BURST_IF_MISSED,
            )
            for _ in range(args.rounds):
                replays.floor.append(run_wrk(base, floor_script, args.concurrency, args.duration))
                replays.rounds.append(run_replays(base, burst, args))
            results.append(replays)
            notes.append(f"After the replays: {check_burst(burst, args)}.")
        if listing is not None:
            headers = {"Authorization": f"Bearer {listing['token']}", "X-Tenant-Key": listing["key"]}
            deep = max(1, args.chats // 20 * 9 // 10)
            scenarios = [
                ("list page 1", ["/api/chats"]),
                (f"list deep page {deep}", [f"/api/chats?page={deep}"]),
                ("search (name fragment)", ["/api/chats?search=karimov%201", "/api/chats?search=rahimova%2022"]),
                ("unread only", ["/api/chats?unread=true"]),
                ("whatsapp, open", ["/api/chats?channel=whatsapp&status=open"]),
                ("one chat's messages", ["/api/chats/{chat}/messages"]),
            ]
            from savdo.messaging.models import Chat

            some_chat = Chat.objects.filter(tenant_id=listing["tenant"]).order_by("-last_message_at").first().pk
            for name, paths in scenarios:
                paths = [p.format(chat=some_chat) for p in paths]
                script = lua.get_script(paths, headers)
                result = Result(f"{name} @{args.chats}", "chats", args.concurrency, if_missed=LIST_IF_MISSED)
                run_wrk(base, script, args.concurrency, 2)  # warm up
                for _ in range(args.rounds):
                    result.floor.append(run_wrk(base, floor_script, args.concurrency, args.duration))
                    result.rounds.append(run_wrk(base, script, args.concurrency, args.duration))
                results.append(result)
                print(f"  {result.scenario}: {median([m.rps for m in result.rounds]):.0f} req/s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = report(results, args, time.monotonic() - started, notes)
    text = text.replace("# Savdo benchmark", "# Savdo chats benchmark", 1)
    stamp = time.strftime("%Y-%m-%d-%H%M", time.gmtime())
    out = ROOT / "benchmarks" / "results" / f"{stamp}-{commit()}-chats{without_suffix(args.without)}.md"
    out.write_text(text)
    print(text)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
