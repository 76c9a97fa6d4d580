"""psycopg's connection, with up to three round trips per transaction fewer.

- **BEGIN goes with the first statement.** psycopg opens a transaction by sending `BEGIN` and
  waiting for its answer, then sends the first statement and waits again: two round trips where one
  would do. `PreparingCursor` (savdo/core/postgresql/base.py) runs a transaction's first statement
  in a `Connection.together()` block (as `savdo.core.fixed.read_together` runs its reads); there the
  `BEGIN` is queued in front of it without waiting (psycopg syncs the pipeline after it), and both go
  out together. An error in the `BEGIN` or the statement is raised from the statement, as before;
  the transaction is then aborted and Django rolls it back. psycopg tidies its prepared statements
  after each statement; an answer that asks for that (DDL) arrives only when the pipeline ends, so
  the tidying is done then.
- **Nothing pending, no sync.** psycopg syncs the pipeline (a round trip) when a pipeline block ends
  and when autocommit is switched in pipeline mode, also when every statement sent has been
  answered already: after a COMMIT sent in pipeline mode (`savdo.core.batching`), which syncs by
  itself, Django switches autocommit back on and the block ends, two round trips to learn nothing.
  Both are skipped when nothing is pending.

These rest on psycopg's internals (`_start_query`, `_exit_gen`, `_check_intrans_gen`, its queues);
tests/core/test_pg_round_trips.py counts the round trips, so a psycopg that changes them fails there.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import pq

IDLE = pq.TransactionStatus.IDLE


class Pipeline(psycopg.Pipeline):
    def _exit_gen(self):
        if not self.command_queue and not self.result_queue:
            return  # everything sent has been answered: no sync needed to leave pipeline mode
        yield from super()._exit_gen()


class Connection(psycopg.Connection):
    _begin_unsynced = False  # inside `together()`

    def _start_query(self):
        if not self._begin_unsynced or self._autocommit or self.pgconn.transaction_status != IDLE:
            return (yield from super()._start_query())
        # queued: the statements that follow go out with it, and the block's sync answers them all
        yield from self._exec_command(self._get_tx_start_command())

    @contextmanager
    def together(self) -> Iterator[psycopg.Pipeline]:
        """A pipeline block whose statements, and the BEGIN the first of them may need, go out at
        once; they are answered when the block ends (its sync), not one by one. Outside such a block
        psycopg waits for a BEGIN sent in pipeline mode: until its answer the connection does not
        know it is in a transaction, and would not COMMIT it."""
        with self.pipeline() as pipeline:
            outer, self._begin_unsynced = self._begin_unsynced, True
            try:
                yield pipeline
            finally:
                self._begin_unsynced = outer

    def _check_intrans_gen(self, attribute: str):
        pipeline = self._pipeline
        answered = pipeline is not None and not pipeline.command_queue and not pipeline.result_queue
        if answered and self.pgconn.transaction_status == IDLE:
            return  # everything sent has been answered: the status is current, no sync needed
        yield from super()._check_intrans_gen(attribute)

    @contextmanager
    def pipeline(self) -> Iterator[psycopg.Pipeline]:
        """psycopg's `Connection.pipeline()`, with the `Pipeline` above."""
        with self.lock:
            self._check_connection_ok()
            if (pipeline := self._pipeline) is None:
                pipeline = self._pipeline = Pipeline(self)
        try:
            with pipeline:
                yield pipeline
        finally:
            if pipeline.level == 0:
                with self.lock:
                    assert pipeline is self._pipeline
                    self._pipeline = None
        if pipeline.level == 0 and self._prepared._to_flush:
            # A statement's answer (DDL, a rollback) told psycopg to drop its prepared statements once
            # the answer was read: in pipeline mode that is after the statement's own clean-up ran,
            # so the next statement would prepare one and the clean-up then drop it. Clean up now.
            with self.lock:
                self.wait(self._prepared.maintain_gen(self))


def opens_transaction(connection: psycopg.Connection) -> bool:
    """Whether the next statement on `connection` starts a transaction (sends a BEGIN first)."""
    return (
        type(connection) is Connection
        and connection._pipeline is None
        and not connection.autocommit
        and connection.pgconn.transaction_status == IDLE
    )
