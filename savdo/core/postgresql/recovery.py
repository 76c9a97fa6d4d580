"""A lost database connection answers 503 or is retried, never a 500.

A pooled connection can die between two requests: the server restarted, an administrator ran
`pg_terminate_backend`, a proxy dropped it. Django's health check would find that out before the
next request's first query, but the backend here skips it for a connection used within the last
second (`HEALTH_CHECK_AFTER_IDLE`, savdo/core/postgresql/base.py: a round trip per request saved).
The next request on that connection then fails. `LostConnectionMiddleware` catches that failure:

- a read (GET, HEAD, OPTIONS) is run once more on a fresh connection: it changed nothing, so
  running it again is safe; should the fresh connection fail too, the answer is a 503;
- a write answers 503 with `Retry-After`: the lost connection took its transaction with it (no
  half-written state), but whether the server had committed the statement in flight when the
  connection broke cannot be known, so the client decides (an `Idempotency-Key` makes the retry safe).

The 503's body has the shape of the surface the path belongs to (`SAVDO_ERROR_RESPONSE`, by default
`savdo.api.errors.error_response_for_path`). Any other error is left alone. SQLite connections are
never "lost": the middleware does nothing there.
"""

from django.conf import settings
from django.db import connections
from django.http import HttpResponse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

try:
    import psycopg
except ImportError:  # a SQLite-only installation
    psycopg = None

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER_SECONDS = 1
# Server-side codes that mean "this connection is gone": class 08 (connection exception), and the
# server shutting the session down (admin_shutdown, crash_shutdown, cannot_connect_now).
LOST_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
_RETRIED = "_savdo_read_retried"
_LOST = "_savdo_connection_lost"


def is_lost_connection(exc: BaseException) -> bool:
    """Whether `exc` (a Django database error, or psycopg's own) says the connection to PostgreSQL
    broke: the server ended the session, the socket closed, or the server could not be reached.
    A statement timeout, a lock not available or any error of the SQL itself is not."""
    if psycopg is None:
        return False
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, psycopg.OperationalError | psycopg.InterfaceError):
            sqlstate = getattr(current, "sqlstate", None)
            if sqlstate is None:  # raised by the client: the connection is closed, broken or unreachable
                return True
            return sqlstate.startswith("08") or sqlstate in LOST_SQLSTATES
        current = current.__cause__
    return False


def discard_lost_connections() -> None:
    """Close this thread's database connections outside a transaction block, so that the next query
    opens a fresh one (closing a healthy one only costs that reconnection)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


class LostConnectionMiddleware:
    """Retries a read once, and answers a write with 503 + `Retry-After`, when the database
    connection was lost (see the module docstring). Put it last in MIDDLEWARE: its
    `process_exception` then sees the view's error first, and its retry runs the view alone."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.error_response = import_string(
            getattr(settings, "SAVDO_ERROR_RESPONSE", "savdo.api.errors.error_response_for_path")
        )

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, _LOST, False):
            setattr(request, _LOST, False)
            setattr(request, _RETRIED, True)
            response = self.get_response(request)
        return response

    def process_exception(self, request, exception):
        if not is_lost_connection(exception):
            return None
        discard_lost_connections()
        if request.method in SAFE_METHODS and not getattr(request, _RETRIED, False):
            setattr(request, _LOST, True)
            return HttpResponse(status=503)  # replaced by the retry in __call__
        return self.unavailable(request)

    def unavailable(self, request):
        message = _("The database connection was lost. Try again in a moment.")
        response = self.error_response(request.path, 503, "SERVICE_UNAVAILABLE", message)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
