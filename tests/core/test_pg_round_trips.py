"""Round trips to PostgreSQL, counted on the wire (savdo/core/postgresql/connection.py, `read_together`).

A proxy between a second connection and the server counts the client's turns: each time the client
sends after the server has answered (or first) is one round trip. That is what the till saves, and
what a psycopg that queued differently would change, whatever its internals.
"""

import select
import socket
import threading
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, IntegrityError, connections, transaction

from savdo.catalog.models import Category
from savdo.core.batching import batched_atomic, send_with_commit
from savdo.core.fixed import FixedQuery, read_together, save_row
from savdo.tenancy.models import Tenant
from tests.factories import TenantFactory

default = connections["default"]
pytestmark = [
    pytest.mark.django_db(transaction=True),  # commits for real, on a second connection too
    pytest.mark.skipif(default.vendor != "postgresql", reason="PostgreSQL's wire"),
]

_TENANT = FixedQuery(lambda pk: Tenant.objects.filter(pk=pk))
_CATEGORIES = FixedQuery(lambda tenant_id: Category.objects.filter(tenant_id=tenant_id).order_by("pk"))


class TurnCounter:
    """A TCP proxy to the database server counting the client's turns."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.turns = 0
        self._client_spoke_last = False
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client, server):
        peers = {client: server, server: client}
        with client, server:
            while True:
                readable, _, _ = select.select(list(peers), [], [])
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    with self._lock:
                        if sock is client and not self._client_spoke_last:
                            self.turns += 1
                        self._client_spoke_last = sock is client
                    peers[sock].sendall(data)

    @contextmanager
    def counting(self):
        """Yields a list that holds, after the block, the turns taken in it."""
        result = []
        start = self.turns
        yield result
        result.append(self.turns - start)

    def close(self):
        self.listener.close()


@pytest.fixture
def wire():
    """A second connection to the test database, `wire`, reaching the server through the counter."""
    counter = TurnCounter(default.settings_dict["HOST"] or "127.0.0.1", int(default.settings_dict["PORT"] or 5432))
    # not in the settings: a connection made at run time, which the test case lets through
    wrapper = type(default)({**default.settings_dict, "HOST": "127.0.0.1", "PORT": str(counter.port)}, "wire")
    connections["wire"] = wrapper
    wrapper.ensure_connection()
    yield counter
    wrapper.close()
    del connections["wire"]
    counter.close()


def test_a_transaction_sends_its_begin_with_the_first_statement(wire):
    tenant = TenantFactory()
    with wire.counting() as turns, transaction.atomic(using="wire"):
        assert _TENANT.first(tenant.pk, using="wire").pk == tenant.pk
    assert turns == [2]  # BEGIN + the read; COMMIT


def test_reads_together_are_one_round_trip_with_the_begin(wire):
    tenant = TenantFactory()
    Category.objects.create(tenant=tenant, name="Dairy")
    with wire.counting() as turns, transaction.atomic(using="wire"):
        tenants, categories = read_together((_TENANT, (tenant.pk,)), (_CATEGORIES, (tenant.pk,)), using="wire")
    assert turns == [2]
    assert [t.pk for t in tenants] == [tenant.pk]
    assert [c.name for c in categories] == ["Dairy"]


def test_a_batched_block_is_its_reads_plus_one_round_trip_for_writes_and_commit(wire):
    tenant = TenantFactory()
    with wire.counting() as turns, batched_atomic(using="wire"):
        read_together((_TENANT, (tenant.pk,)), (_CATEGORIES, (tenant.pk,)), using="wire")
        send_with_commit(using="wire")
        save_row(Category(tenant=tenant, name="Bakery"), using="wire")
        save_row(Category(tenant=tenant, name="Drinks"), using="wire")
    assert turns == [2]  # leaving pipeline mode after the COMMIT asks the server nothing
    assert sorted(Category.objects.filter(tenant=tenant).values_list("name", flat=True)) == ["Bakery", "Drinks"]


def test_a_failing_first_statement_rolls_back_and_keeps_the_connection(wire):
    tenant = TenantFactory()
    taken = Category.objects.create(tenant=tenant, name="Taken")
    wrapper = connections["wire"]
    opened = wrapper.connection
    with pytest.raises(IntegrityError), transaction.atomic(using="wire"):
        save_row(Category(tenant=tenant, name="Taken", pk=taken.pk), using="wire")  # its id is taken
    with pytest.raises(DatabaseError), transaction.atomic(using="wire"), wrapper.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM catalog_category")
    with transaction.atomic(using="wire"):
        assert _TENANT.first(tenant.pk, using="wire").pk == tenant.pk
    assert wrapper.connection is opened
    assert list(Category.objects.filter(tenant=tenant).values_list("name", flat=True)) == ["Taken"]


def test_reads_together_inside_a_queuing_block_are_answered_at_once(wire):
    tenant = TenantFactory()
    with batched_atomic(using="wire"):
        send_with_commit(using="wire")
        save_row(Category(tenant=tenant, name="Queued"), using="wire")
        tenants, categories = read_together((_TENANT, (tenant.pk,)), (_CATEGORIES, (tenant.pk,)), using="wire")
    assert [t.pk for t in tenants] == [tenant.pk]
    assert [c.name for c in categories] == ["Queued"]  # the queued write went first
