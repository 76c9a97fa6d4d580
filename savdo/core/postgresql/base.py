"""Django's PostgreSQL backend, with health checks only for connections that sat idle, and the
till's statements prepared.

With `CONN_HEALTH_CHECKS`, Django pings a persistent connection (`SELECT 1`, its own round trip)
before the first query of every request. Under load that is one more round trip per request on
connections that answered a moment ago: ~0.4 ms of a till request's ~5. Here a connection that ran
a statement within the last `HEALTH_CHECK_AFTER_IDLE` seconds is taken as alive; one that sat idle
longer (when a database restart or a dropped connection is likely to have happened) is pinged as
before. Should the server go away within that second, the request fails as it would without health
checks, and Django closes the connection at the end of that request (it checks connections after
errors), so the next request connects afresh.

With server-side binding on (settings: `SAVDO_DB_PREPARED`), `PreparingCursor` prepares the
statements `savdo.core.sql` names: PostgreSQL then parses and plans each once per connection,
which was half of its CPU on a till request (1.56 -> 0.83 ms per request). Preparing every
statement (psycopg's `prepare_threshold`) was tried and refused: PostgreSQL's generic plans for
searches and reports ignore the values, and a search matching every customer took 620 ms instead
of 2.4.
"""

import time

from django.db.backends.postgresql import base

from savdo.core.sql import PREPARED, is_plain_insert
from savdo.core.versions import VersionedCommits

if base.is_psycopg3:
    from savdo.core.postgresql.connection import Connection, opens_transaction

HEALTH_CHECK_AFTER_IDLE = 1.0  # seconds


if base.is_psycopg3:

    class PreparingCursor(base.ServerBindingCursor):
        """Django's server-binding cursor that prepares the till's statements (`savdo.core.sql`:
        registered fixed reads and writes, and plain inserts) on a connection's first use of each,
        and no other. PostgreSQL plans a prepared statement once for any values (a generic plan)
        after five runs; for a search term or a date range the best plan depends on the value, so
        everything else is planned each time with its own values, as without preparation."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            if prepare is None:
                prepare = isinstance(query, str) and (query in PREPARED or is_plain_insert(query))
            if opens_transaction(self._conn):
                # the transaction's BEGIN goes out with this statement (savdo/core/postgresql/connection.py)
                with self._conn.together():
                    super().execute(query, params, prepare=prepare, binary=binary)
                return self
            return super().execute(query, params, prepare=prepare, binary=binary)

    class _Psycopg:
        """The psycopg module as Django's backend uses it, connecting with Savdo's `Connection`."""

        def __init__(self, module):
            self._module = module

        def __getattr__(self, name):
            return getattr(self._module, name)

        @staticmethod
        def connect(*args, **kwargs):
            return Connection.connect(*args, **kwargs)


class ObservedCommits:
    """A PostgreSQL wrapper that tells `commit_observers` how long each COMMIT took."""

    # callables given the seconds of each COMMIT (`savdo.api.sqlstats`, benchmarks only)
    commit_observers: tuple = ()

    def _commit(self):
        if not self.commit_observers:
            return super()._commit()
        start = time.perf_counter()
        try:
            return super()._commit()
        finally:
            for observer in self.commit_observers:
                observer(time.perf_counter() - start)


class DatabaseWrapper(VersionedCommits, ObservedCommits, base.DatabaseWrapper):
    if base.is_psycopg3:
        Database = _Psycopg(base.Database)
    _last_used = 0.0  # time.monotonic() of the last cursor

    def get_connection_params(self):
        params = super().get_connection_params()
        if base.is_psycopg3 and params.get("cursor_factory") is base.ServerBindingCursor:
            params["cursor_factory"] = PreparingCursor
            # psycopg prepares nothing when this is None; PreparingCursor says for each statement
            params["prepare_threshold"] = params["prepare_threshold"] or 5
        return params

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and not self.health_check_done
            and time.monotonic() - self._last_used < HEALTH_CHECK_AFTER_IDLE
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def create_cursor(self, name=None):
        self._last_used = time.monotonic()
        return super().create_cursor(name)
