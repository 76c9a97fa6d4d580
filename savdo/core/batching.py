"""A transaction whose last writes reach PostgreSQL together with its COMMIT, in one round trip.

Each statement is a round trip: the client sends it, waits, reads the answer. A checkout's writes
after its stock check (balances, ledger, allocations, payments, the sale, rollups) were seven of
them and the COMMIT an eighth; a scan's line, totals and COMMIT three. On a loaded server every
round trip costs CPU on both sides (~75 us) and, worse, keeps the rows the transaction has locked
(a hot product's balance, the tenant's receipt counter) locked while the client thread waits for
its turn to run again.

`batched_atomic()` is `transaction.atomic()` with one addition: after `send_with_commit()`,
statements are queued in psycopg's pipeline mode instead of being waited for, and the pipeline is
closed only after the COMMIT, which sends everything queued at once. The statements still run on
the server one after the other, in order, in the transaction; an error in any of them fails the
COMMIT, Django rolls back, and the exception propagates as it would have from the statement.

What a queued statement returns is there only after the commit: `after_commit_results(callback)`
registers what reads it (`savdo.core.fixed` reads inserted ids and checks updated rows there), run
when the block has committed. Until then a cursor's `rowcount` is -1, so only code that ignores it
(`QuerySet.update()` whose count is not used, `bulk_update`, the fixed writes) may run after
`send_with_commit()`. A statement whose rows are read (`fetchone()`) still works: psycopg sends
what is queued and waits, a round trip as before. The block's `on_commit` callbacks run before the
pipeline closes (Django runs them inside its COMMIT): the same rule holds for them (Savdo's touch
only the cache).

Used by the till's scan and checkout (`savdo.sales.services`), where the balance lock is then held
for one round trip instead of eight. Measured in-process on the benchmark's data: 11 % less client
CPU, 12 % less PostgreSQL CPU and 18 % less time per till request.

Elsewhere (SQLite, psycopg without pipeline support) and inside an enclosing atomic block (whose
COMMIT comes later) nothing is queued: statements are waited for as usual, and callbacks run at
once. So too with `SAVDO_BATCHED_COMMIT=0`, which makes `batched_atomic()` a plain
`transaction.atomic()` everywhere, to measure what queuing saves.
"""

import threading
from collections.abc import Callable
from contextlib import ContextDecorator, ExitStack, suppress

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

_local = threading.local()


class _Batch:
    def __init__(self, alias: str):
        self.alias = alias
        self.stack = ExitStack()
        self.callbacks: list[Callable[[], None]] = []
        self.pipeline = None  # psycopg's, once queuing


class batched_atomic(ContextDecorator):
    """`transaction.atomic(using)`, whose writes after `send_with_commit()` go out with the COMMIT."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS):
        self.using = using

    def _recreate_cm(self):
        # As a decorator, one instance serves every call, in every thread: each call gets its own
        # (the block's state lives on the instance).
        return type(self)(self.using)

    def __enter__(self):
        connection = connections[self.using]
        outermost = not connection.in_atomic_block
        queues = outermost and settings.SAVDO_BATCHED_COMMIT and can_pipeline(connection)
        batch = _Batch(self.using) if queues else None
        self._saved = getattr(_local, "batch", None)
        self._batch = batch
        _local.batch = batch
        self._atomic = transaction.atomic(using=self.using)
        if batch is not None:
            batch.stack.__enter__()
        self._atomic.__enter__()

    def __exit__(self, exc_type, exc, tb):
        batch = self._batch
        try:
            if batch is None:
                return self._atomic.__exit__(exc_type, exc, tb)
            if exc_type is not None and batch.pipeline is not None:
                _settle(batch.pipeline)
            try:
                self._atomic.__exit__(exc_type, exc, tb)  # the COMMIT (or ROLLBACK), sending the queue
            except BaseException as error:
                batch.stack.__exit__(type(error), error, error.__traceback__)  # leaves pipeline mode
                raise
            batch.stack.__exit__(exc_type, exc, tb)
        finally:
            _local.batch = self._saved
        if exc_type is None:
            for callback in batch.callbacks:
                callback()
        return False


def _settle(pipeline) -> None:
    """Send what is queued and read every answer, so that a ROLLBACK can follow. A statement's
    error reported at a later statement leaves the pipeline aborted until this sync, and fails it
    (the error itself is the one propagating)."""
    from psycopg import Error

    with suppress(Error):
        pipeline.sync()


def can_pipeline(connection) -> bool:
    """Whether statements on this Django connection can be sent in psycopg's pipeline mode."""
    if connection.vendor != "postgresql":
        return False
    from psycopg import Pipeline

    return Pipeline.is_supported()


def send_with_commit(using: str = DEFAULT_DB_ALIAS) -> None:
    """From here on, in the enclosing `batched_atomic()`, queue statements until the COMMIT. Call it
    once the transaction's remaining statements only write (see the module's docstring)."""
    batch = getattr(_local, "batch", None)
    if batch is None or batch.alias != using or batch.pipeline is not None:
        return
    connection = connections[using]
    connection.ensure_connection()
    batch.pipeline = batch.stack.enter_context(connection.connection.pipeline())


def commit_without_flush(using: str = DEFAULT_DB_ALIAS) -> None:
    """Let the enclosing transaction's COMMIT answer before its changes reach the disk (PostgreSQL's
    `synchronous_commit`, off for this transaction only; queued like a write). For changes worth
    less than a flush: on a server crash the last fraction of a second of them can be lost, whole
    transactions and in order, never half of one; and the next flushed COMMIT (a checkout's) makes
    every earlier one durable too. `SAVDO_CART_ASYNC_COMMIT=0` turns it off. Elsewhere a no-op."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not connection.in_atomic_block or not settings.SAVDO_CART_ASYNC_COMMIT:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def queuing(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether statements on `using` are being queued until the COMMIT."""
    batch = getattr(_local, "batch", None)
    return batch is not None and batch.alias == using and batch.pipeline is not None


def after_commit_results(callback: Callable[[], None], using: str = DEFAULT_DB_ALIAS) -> None:
    """Run `callback` once the queued statements have been answered (after the COMMIT); at once
    when nothing is being queued."""
    batch = getattr(_local, "batch", None)
    if batch is None or batch.alias != using or batch.pipeline is None:
        callback()
        return
    batch.callbacks.append(callback)
