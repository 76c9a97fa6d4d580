"""Per-request SQL statistics for benchmarks: `X-Savdo-SQL: <queries>;<milliseconds>`.

Enabled only with `SAVDO_SQL_STATS=1` (the benchmark server); otherwise not in the middleware
stack at all. Counting wraps the connection's execution, so it costs nothing when off.

The milliseconds include the COMMITs on PostgreSQL (not counted as queries): a transaction's last
writes go to the server with its COMMIT (`savdo.core.batching`), so their time is spent there.
"""

import time

from django.db import connections


class _Counter:
    def __init__(self):
        self.queries = 0
        self.seconds = 0.0

    def committed(self, seconds: float) -> None:
        self.seconds += seconds

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries += 1
            self.seconds += time.perf_counter() - start


class SqlStatsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = _Counter()
        databases = [connections[alias] for alias in connections]
        wrappers = [connection.execute_wrapper(counter) for connection in databases]
        observed = [connection for connection in databases if hasattr(connection, "commit_observers")]
        for wrapper in wrappers:
            wrapper.__enter__()
        for connection in observed:
            connection.commit_observers = (*connection.commit_observers, counter.committed)
        try:
            response = self.get_response(request)
        finally:
            for connection in observed:
                connection.commit_observers = tuple(o for o in connection.commit_observers if o != counter.committed)
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response["X-Savdo-SQL"] = f"{counter.queries};{counter.seconds * 1000:.3f}"
        return response
