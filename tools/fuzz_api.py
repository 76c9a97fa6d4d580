#!/usr/bin/env python3
"""Schemathesis over every operation of /api/schema/, once per role: anonymous, cashier, manager, owner.

    .venv/bin/python tools/fuzz_api.py                      # CI size: a few examples per operation
    .venv/bin/python tools/fuzz_api.py --nightly            # the large run (--max-examples 100)
    .venv/bin/python tools/fuzz_api.py --role owner --operation 'POST /api/sales/'   # narrow it down

What it does, in one process:
1. creates its own PostgreSQL database afresh (the name from DATABASE_URL, default `savdo_fuzz`; it
   must contain "fuzz", since it is dropped first) and migrates it; empties the Redis database of
   REDIS_URL (default db 14);
2. seeds two stores with a few rows of every kind through the test factories and the services
   (customers, groups, tags, products with stock and batches, a shift with sales, tasks, chats,
   deals and activities, tariffs, SIM cards, subscribers, contracts with payments, tickets, an
   invitation), one user per role in the first store;
3. loads the schema from the WSGI app (`savdo.wsgi.application`, in process: no server, no sockets)
   and, per role, runs every operation with Hypothesis-generated requests (positive and negative
   data; a share of them aimed at real objects: path ids read from the lists of the first store, one
   from the second), checking `not_a_server_error`, `status_code_conformance` and
   `response_schema_conformance`;
4. prints a summary per role and every distinct failure (with the server's traceback for a 500),
   and exits 1 if there was any.

Reproducible: Hypothesis runs with a fixed seed (`--seed`), no example database, and the data is
seeded the same way every run. Throttling is lifted (this is not what it tests) and nothing leaves
the machine: outgoing connections other than to the loopback are refused in this process.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import os
import re
import socket
import sys
import time
import traceback
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/savdo_fuzz"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
ROLES = ("anonymous", "cashier", "manager", "owner")
CHECK_NAMES = ("not_a_server_error", "status_code_conformance", "response_schema_conformance")
CI_EXAMPLES = 4
NIGHTLY_EXAMPLES = 100
DEFAULT_SEED = 20251
# Nothing listens there: the messenger adapters' calls fail fast, and stay on this machine.
DEAD_URL = "http://127.0.0.1:9"
PASSWORD = "Fuzz-Savdo-2025!"
# Ids read per path parameter: from the first store's list, and from the second store's (a 404).
OWN_IDS = 3
FOREIGN_IDS = 1
# Path parameters whose objects are listed elsewhere than at the path before them.
ID_SOURCES = {"client_id": "/api/clients/"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--max-examples", type=int, default=None, help=f"per operation and role (CI: {CI_EXAMPLES})")
    parser.add_argument("--nightly", action="store_true", help=f"the large run: --max-examples {NIGHTLY_EXAMPLES}")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Hypothesis seed (fixed: CI is reproducible)")
    parser.add_argument("--role", action="append", choices=ROLES, help="only these roles (repeatable)")
    parser.add_argument("--operation", default="", help="only operations whose 'METHOD /path' matches this regex")
    parser.add_argument("--show", type=int, default=3, help="examples shown per distinct failure")
    parser.add_argument("--trace", action="store_true", help="print every request's status as it is answered")
    args = parser.parse_args(argv)
    if args.max_examples is None:
        args.max_examples = NIGHTLY_EXAMPLES if args.nightly else CI_EXAMPLES
    return args


# --- environment, database, network -------------------------------------------------------------


def configure_environment() -> str:
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    name = urlsplit(database_url).path.lstrip("/")
    if not database_url.startswith(("postgres://", "postgresql://")) or "fuzz" not in name:
        sys.exit(
            f"fuzz_api: DATABASE_URL must name a PostgreSQL database with 'fuzz' in its name (it is dropped): {name!r}"
        )
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
        DJANGO_SETTINGS_MODULE="savdo.settings",
        DEBUG="0",
        SAVDO_ACCESS_LOG="0",
        # Throttles and lock-outs would answer 429 to a fuzzer's pace: not what this run tests.
        SAVDO_THROTTLE_ANON="1000000/min",
        SAVDO_THROTTLE_USER="1000000/min",
        SAVDO_THROTTLE_AUTH="1000000/min",
    )
    sys.path.insert(0, str(ROOT))
    return database_url


def recreate_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _is_loopback(host) -> bool:
    if host in (None, "localhost", "testserver"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def guard_network() -> None:
    """Refuse every connection (and name lookup) that would leave the machine: fuzzed bodies carry
    URLs (a messenger gateway's `api_url`), and this run must talk only to itself."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host.decode() if isinstance(host, bytes) else host):
            raise socket.gaierror(socket.EAI_NONAME, f"fuzz_api: no lookups of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise ConnectionRefusedError(f"fuzz_api: no connections to {address[0]}")
        return real_connect(sock, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect


class ServerErrors(logging.Handler):
    """Keeps the traceback of each 500 (Django logs it on `django.request`), for the report."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.last: str | None = None

    def emit(self, record):
        if record.exc_info:
            self.last = "".join(traceback.format_exception(*record.exc_info))
        else:
            self.last = record.getMessage()

    def take(self) -> str | None:
        last, self.last = self.last, None
        return last


def setup_django() -> ServerErrors:
    from django.conf import settings

    # WhiteNoise's note that the collected static files are not there: this run serves none.
    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")

    # Loading the WSGI app sets Django up (and its logging) once and for all: the 500s' handler goes after.
    import savdo.wsgi  # noqa: F401

    settings.SAVDO_MESSAGING_BACKGROUND = "inline"
    settings.SAVDO_TELEGRAM_API_URL = DEAD_URL
    settings.SAVDO_WHATSAPP_CLOUD_API_URL = DEAD_URL
    settings.SAVDO_PUBLIC_URL = ""
    errors = ServerErrors()
    request_logger = logging.getLogger("django.request")
    request_logger.handlers = [errors]
    request_logger.propagate = False
    logging.getLogger("savdo.access").setLevel(logging.WARNING)
    return errors


def closing(application):
    """The app as a WSGI server runs it: the answer read whole, then `close()`d. Schemathesis's
    in-process transport never closes it, and Django ends a request (`request_finished`: the
    connection given back its own database role, old connections closed) only there."""

    def app(environ, start_response):
        result = application(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()

    return app


# --- data -----------------------------------------------------------------------------------------


@dataclass
class Store:
    tenant: object
    members: dict = field(default_factory=dict)  # role -> Membership


def seed_store(name: str, roles: tuple[str, ...], *, prefix: str) -> Store:
    """A store with one member per role and a few rows of every kind (some fields left empty, so
    that null and blank answers are exercised too)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from savdo.tenancy.models import Role
    from tests.catalog.factories import CategoryFactory, ProductFactory
    from tests.crm.factories import ActivityFactory, DealFactory
    from tests.customers.factories import CustomerFactory, CustomerGroupFactory, TagFactory
    from tests.factories import MembershipFactory, TenantFactory, UserFactory
    from tests.inventory.factories import receive
    from tests.messaging.factories import make_chat
    from tests.sales.factories import open_shift, ring_up, sell
    from tests.support.factories import make_ticket
    from tests.tasks.factories import TaskCommentFactory, TaskTemplateFactory
    from tests.telecom.factories import SimFactory, SubscriberFactory, TariffFactory, active_contract, make_contract

    store = Store(TenantFactory(name=name))
    tenant = store.tenant
    for role in roles:
        user = UserFactory(
            username=f"{prefix}-{role}", email="" if role == Role.CASHIER else f"{prefix}-{role}@example.com"
        )
        user.set_password(PASSWORD)
        user.save()
        store.members[role] = MembershipFactory(user=user, tenant=tenant, role=role)
    owner = store.members[Role.OWNER]
    staff = store.members.get(Role.CASHIER, owner)
    manager = store.members.get(Role.MANAGER, owner)

    # customers (retail 000, clients 002, CRM 003 share them)
    group = CustomerGroupFactory(tenant=tenant, discount_percent=5)
    tag = TagFactory(tenant=tenant)
    regular = CustomerFactory(tenant=tenant, group=group)
    regular.tags.add(tag)
    CustomerFactory(tenant=tenant, email="")  # no e-mail, no purchases, no group
    # catalog and stock
    category = CategoryFactory(tenant=tenant)
    boxed = ProductFactory(tenant=tenant, category=category)
    loose = ProductFactory(tenant=tenant)  # no category
    receive(
        boxed, 50, user=owner.user, batch_number=f"{prefix}-B1", expiry_date=timezone.localdate() + timedelta(days=90)
    )
    receive(loose, 30, user=owner.user)
    # a shift with a completed sale (with a customer) and a pending one (without)
    shift = open_shift(staff, opening_balance="100000")
    sell(staff, [(boxed, 2), (loose, 1)], session=shift, customer=regular)
    ring_up(staff, [(loose, 1)], session=shift)
    # tasks
    template = TaskTemplateFactory(tenant=tenant)
    from savdo.tasks import services as task_services

    task = task_services.task_create(actor=owner, title="Count the shelf", assigned_to=staff.user, template=template)
    task_services.task_create(actor=owner, title="Unassigned", due_date=timezone.now() - timedelta(days=1))
    TaskCommentFactory(task=task, tenant=tenant)
    # chats, CRM
    make_chat(tenant, messages=2)
    make_chat(tenant, with_tag=False)
    deal = DealFactory(tenant=tenant, customer=regular)
    DealFactory(tenant=tenant, customer=regular, value=Decimal("99.50"))
    ActivityFactory(tenant=tenant, customer=deal.customer)
    # telecom and its support desk
    tariff = TariffFactory(tenant=tenant)
    TariffFactory(tenant=tenant, is_active=False)
    SimFactory(tenant=tenant)
    SimFactory(tenant=tenant)
    subscriber = SubscriberFactory(tenant=tenant)
    make_contract(tenant, customer=subscriber, tariff=tariff)
    contract = active_contract(tenant, balance="250.00")
    make_ticket(tenant, membership=manager, customer=subscriber)
    make_ticket(tenant, membership=manager, customer=contract.customer, contract=contract)
    return store


def seed() -> tuple[Store, Store]:
    from savdo.tenancy import services as tenancy_services
    from savdo.tenancy.models import Role

    home = seed_store("Fuzz Tashkent", (Role.OWNER, Role.MANAGER, Role.CASHIER), prefix="fuzz")
    other = seed_store("Fuzz Samarkand", (Role.OWNER,), prefix="fuzz-other")
    # An invitation of the home store's manager to the other store (/api/users/invitations/).
    tenancy_services.invitation_create(actor=other.members[Role.OWNER], login="fuzz-manager", role=Role.CASHIER)
    return home, other


def access_token(membership) -> str:
    from rest_framework_simplejwt.tokens import RefreshToken

    return str(RefreshToken.for_user(membership.user).access_token)


# --- ids of real objects -----------------------------------------------------------------------------

PARAMETER = re.compile(r"\{([^}]+)\}")


def _rows(body) -> list[dict]:
    """The first list of objects in an answer, whatever its envelope."""
    queue = [body]
    while queue:
        node = queue.pop(0)
        if isinstance(node, list) and node and all(isinstance(item, dict) for item in node):
            return node
        if isinstance(node, dict):
            queue.extend(node.values())
    return []


class IdFinder:
    """Real ids for path parameters: read from the list at the path before the parameter."""

    def __init__(self, client, home_token: str, other_token: str):
        self.client = client
        self.tokens = (home_token, other_token)
        self.cache: dict[tuple[str, int], list] = {}

    def _read(self, path: str, store: int, key: str) -> list:
        if (path, store) not in self.cache:
            response = self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[store]}"})
            rows = _rows(response.get_json(silent=True)) if response.status_code == 200 else []
            self.cache[(path, store)] = rows
        return [row[key] for row in self.cache[(path, store)] if row.get(key) not in (None, "")]

    def ids(self, template: str) -> tuple[dict[str, list], dict[str, list]]:
        """Per path parameter: ids of the home store's objects, and of the other store's."""
        own: dict[str, list] = {}
        foreign: dict[str, list] = {}
        for match in PARAMETER.finditer(template):
            name = match.group(1)
            collection = ID_SOURCES.get(name) or template[: match.start()]
            for store, found, limit in ((0, own, OWN_IDS), (1, foreign, FOREIGN_IDS)):
                concrete = PARAMETER.sub(lambda m, found=found: str((found.get(m.group(1)) or ["0"])[0]), collection)
                for key in (name, "id"):
                    values = self._read(concrete, store, key)
                    if values:
                        found[name] = values[:limit]
                        break
        return own, foreign


# --- the run -------------------------------------------------------------------------------------------


@dataclass
class Failure:
    role: str
    operation: str
    check: str
    title: str
    status: int
    examples: list[str] = field(default_factory=list)
    count: int = 0


@dataclass
class RoleResult:
    role: str
    operations: int = 0
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _strategy(operation, ids: tuple[dict[str, list], dict[str, list]], store_key: str):
    """Requests aimed at the home store's real objects first (Hypothesis starts from the first
    branch), then positive and negative generated ones, then one aimed at another store's object
    (a 404). They act in the home store (`X-Tenant-Key`): a generated key is a 403 before anything
    else runs."""
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    positive = GenerationMode.POSITIVE
    takes_key = any(p.name == "X-Tenant-Key" for p in operation.headers)
    headers = {"X-Tenant-Key": store_key} if takes_key else None

    def aimed(path_ids: dict[str, list]) -> list:
        rows = max((len(values) for values in path_ids.values()), default=0)
        return [
            operation.as_strategy(
                generation_mode=positive,
                headers=headers,
                path_parameters={name: values[index % len(values)] for name, values in path_ids.items()},
            )
            for index in range(rows)
        ]

    own, foreign = ids
    strategies = [*aimed(own), operation.as_strategy(generation_mode=positive, headers=headers)]
    # Nothing to make invalid (no parameter, no body) is an error here: then there is no negative branch.
    with contextlib.suppress(Exception):
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, headers=headers))
    strategies.extend(aimed(foreign))
    return st.one_of(strategies)


@dataclass
class Run:
    """What one role's run shares: who asks, in which store, with which checks, and what it found."""

    role: str
    headers: dict
    store_key: str
    ids: IdFinder
    args: argparse.Namespace
    server_errors: ServerErrors
    failures: dict
    result: RoleResult
    checks: list = field(default_factory=list)

    def record(self, label: str, check: str, title: str, status: int, example: str) -> None:
        key = (self.role, label, check, title.split("\n", 1)[0], status)
        failure = self.failures.setdefault(key, Failure(self.role, label, check, title, status))
        failure.count += 1
        if len(failure.examples) < self.args.show:
            failure.examples.append(example)

    def check(self, label: str, case) -> None:
        """Send one generated request and run the checks on its answer."""
        from schemathesis.core.failures import Failure as CheckFailure
        from schemathesis.core.failures import FailureGroup

        self.server_errors.take()
        response = case.call(headers=self.headers)
        self.result.cases += 1
        self.result.statuses[response.status_code] += 1
        if self.args.trace:
            print(f"      {response.status_code} {case.method} {case.formatted_path} {case.query or ''}", flush=True)
        try:
            case.validate_response(response, checks=self.checks, headers=self.headers)
        except FailureGroup as group:
            trace = self.server_errors.take()
            for failure in group.exceptions:
                name = next(iter(failure.checks), type(failure).__name__)
                if response.status_code >= 500 and name == "status_code_conformance":
                    continue  # the same 500, reported by not_a_server_error
                example = _describe(case, response, failure, trace, bool(self.headers))
                self.record(label, name, failure.title, response.status_code, example)
        except CheckFailure as failure:
            example = _describe(case, response, failure, self.server_errors.take(), bool(self.headers))
            name = next(iter(failure.checks), type(failure).__name__)
            self.record(label, name, failure.title, response.status_code, example)

    def operation(self, operation) -> None:
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import seed as hypothesis_seed

        label = f"{operation.method.upper()} {operation.path}"
        self.result.operations += 1

        @hypothesis_seed(self.args.seed)
        @settings(
            max_examples=self.args.max_examples,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )
        @given(case=_strategy(operation, self.ids.ids(operation.path), self.store_key))
        def run(case):
            self.check(label, case)

        try:
            run()
        except Exception as exc:  # a generation error is reported, not fatal
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            self.result.errors.append(f"{label}: {type(exc).__name__}: {first_line}")


def fuzz_role(role: str, operations, *, headers: dict, store_key: str, ids: IdFinder, args, server_errors, failures):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    run = Run(role, headers, store_key, ids, args, server_errors, failures, RoleResult(role))
    run.checks = [not_a_server_error, status_code_conformance, response_schema_conformance]
    started = time.monotonic()
    for operation in operations:
        run.operation(operation)
    run.result.seconds = time.monotonic() - started
    return run.result


def _describe(case, response, failure, trace: str | None, signed_in: bool) -> str:
    curl = case.as_curl_command(headers={"Authorization": "Bearer <token>"} if signed_in else None)
    body = response.text[:400] if hasattr(response, "text") else ""
    text = f"{curl}\n    -> {response.status_code} {body}\n    {failure.message.strip()[:1200]}"
    if trace:
        text += "\n" + "\n".join(f"    | {line}" for line in trace.strip().splitlines()[-25:])
    return text


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    began = time.monotonic()
    database_url = configure_environment()
    guard_network()
    print(
        f"== fuzz_api: database {urlsplit(database_url).path.lstrip('/')}, seed {args.seed}, "
        f"{args.max_examples} examples per operation and role",
        flush=True,
    )
    recreate_database(database_url)
    server_errors = setup_django()

    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    cache.clear()
    home, other = seed()
    setup_seconds = time.monotonic() - began
    print(f"   migrated and seeded in {setup_seconds:.1f}s", flush=True)

    import schemathesis
    from werkzeug.test import Client

    from savdo.tenancy.models import Role
    from savdo.wsgi import application

    app = closing(application)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    pattern = re.compile(args.operation) if args.operation else None
    if pattern is not None:
        operations = [op for op in operations if pattern.search(f"{op.method.upper()} {op.path}")]
    client = Client(app)
    failures: dict = {}
    results = []
    for role in args.role or ROLES:
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {access_token(home.members[role])}"}
        ids = IdFinder(client, access_token(home.members[Role.OWNER]), access_token(other.members[Role.OWNER]))
        result = fuzz_role(
            role,
            operations,
            headers=headers,
            store_key=home.tenant.key,
            ids=ids,
            args=args,
            server_errors=server_errors,
            failures=failures,
        )
        results.append(result)
        found = sum(1 for key in failures if key[0] == role)
        print(
            f"   {role:9} {result.operations} operations, {result.cases} requests, {found} distinct failures, "
            f"{result.seconds:.0f}s",
            flush=True,
        )
    return report(results, failures, time.monotonic() - began)


def report(results: list[RoleResult], failures: dict, seconds: float) -> int:
    by_role = defaultdict(list)
    for failure in failures.values():
        by_role[failure.role].append(failure)
    if failures:
        print("\n== failures")
        for failure in sorted(failures.values(), key=lambda f: (ROLES.index(f.role), f.operation, f.check)):
            print(
                f"\n-- [{failure.role}] {failure.operation}: {failure.check} ({failure.count}x, HTTP {failure.status})"
            )
            print(f"   {failure.title}")
            for example in failure.examples:
                print(f"   {example}")
    errors = [error for result in results for error in result.errors]
    if errors:
        print("\n== operations that could not be generated")
        for error in errors:
            print(f"   {error}")
    print("\n== summary")
    print(f"   {'role':9} {'operations':>10} {'requests':>9} {'failures':>9}  statuses")
    for result in results:
        statuses = ", ".join(f"{code}: {count}" for code, count in sorted(result.statuses.items()))
        print(
            f"   {result.role:9} {result.operations:>10} {result.cases:>9} {len(by_role[result.role]):>9}  {statuses}"
        )
    total = len(failures) + len(errors)
    print(f"   {len(failures)} distinct failures, {len(errors)} generation errors, {seconds:.0f}s in all")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
