"""Who is acting in the current request or job, for the change log.

Set by the API kernel once the request is authenticated (`savdo.api.kernel`), and by management
commands or jobs that act for someone; read by `savdo.audit.services.change_record`. A context
variable, so concurrent requests in threads or tasks never see each other's actor.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_actor_id: ContextVar[int | None] = ContextVar("savdo_audit_actor_id", default=None)


def current_actor_id() -> int | None:
    return _actor_id.get()


def set_actor(user_id: int | None):
    """Make `user_id` the actor until `reset_actor(token)`; returns the token."""
    return _actor_id.set(user_id)


def reset_actor(token) -> None:
    _actor_id.reset(token)


@contextmanager
def acting_as(user_id: int | None):
    token = set_actor(user_id)
    try:
        yield
    finally:
        reset_actor(token)
