"""Failed sign-ins: a lock per username *and* address, and a slower backoff per username alone.

- **Username and address** (django-axes, `AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]`):
  `AXES_FAILURE_LIMIT` wrong passwords for one username from one address lock that pair for
  `AXES_COOLOFF_TIME`. A stranger who types someone's username five times locks only themselves
  out of it: the user signs in from their own address as before. A shop's tills behind one NAT
  address share a pair per username, never across usernames.
- **Username alone** (here, in the shared cache): once a username has failed
  `LOGIN_USERNAME_FREE_FAILURES` times within `AXES_COOLOFF_TIME` from any addresses (which takes
  several addresses, each stopped by its own pair lock first), every further attempt on it waits for
  its turn: the wait doubles with each failure from one second up to `LOGIN_USERNAME_BACKOFF_MAX`,
  and one attempt is let through per turn. Attempts that come early are refused (429 with
  `Retry-After`) before any password is checked. Guessing a password from many addresses is slowed
  to one guess per turn, and the owner, from any address, waits at most one turn instead of a lock.

`client_address` is the address both use: the one DRF's throttles see (`NUM_PROXIES`).
"""

import ipaddress
import math
import time
from hashlib import sha256

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.settings import api_settings

# The shared cache's keys: failures of a username, the moment its next turn starts, a turn taken.
_FAILURES = "login-failures:{}"
_TURN_AT = "login-turn-at:{}"
_TURN_TAKEN = "login-turn-taken:{}"
# How long a let-through attempt holds its turn (a password check takes well under a second).
TURN_HOLD_SECONDS = 10


class LoginBackoff(APIException):
    """A username in backoff: this attempt came before its turn (429, `Retry-After` = the wait)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Too many failed login attempts for this username. Try again later.")
    default_code = "login_backoff"

    def __init__(self, wait: float):
        super().__init__()
        self.wait = max(1, math.ceil(wait))


def client_address(request) -> str | None:
    """The client's address as DRF's throttles see it: `REMOTE_ADDR`, or with `NUM_PROXIES` trusted
    proxies in front, the address they appended to `X-Forwarded-For`. Anything that is not an IP
    address (a forged header) falls back to `REMOTE_ADDR`, so axes never stores junk."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = api_settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = forwarded.split(",")
        candidate = hops[-min(proxies, len(hops))].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return remote


def now() -> float:
    """Seconds since the epoch (tests move this clock instead of sleeping)."""
    return time.time()


def _key(template: str, username: str) -> str:
    # Hashed: any text may be typed as a username, and cache keys must stay short and plain.
    return template.format(sha256(username.casefold().encode()).hexdigest())


def _window_seconds() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds()))


def backoff_seconds(failures: int) -> float:
    """How long a username waits after its `failures`-th failure (0 while it has free failures)."""
    free = settings.LOGIN_USERNAME_FREE_FAILURES
    if failures < free:
        return 0
    return min(2 ** min(failures - free, 30), settings.LOGIN_USERNAME_BACKOFF_MAX)


def username_backoff_check(username: str) -> None:
    """Refuse an attempt on `username` that comes before its turn (LoginBackoff); let through one
    attempt per turn. Nothing to do for a username with free failures left."""
    if not username:
        return
    failures = cache.get(_key(_FAILURES, username)) or 0
    if backoff_seconds(failures) == 0:
        return
    turn_at = cache.get(_key(_TURN_AT, username)) or 0
    moment = now()
    if moment < turn_at:
        raise LoginBackoff(turn_at - moment)
    if not cache.add(_key(_TURN_TAKEN, username), 1, timeout=TURN_HOLD_SECONDS):
        raise LoginBackoff(1)  # another attempt holds this turn


def username_failed(username: str) -> None:
    """Count a failed attempt on `username` (any address) and, past the free failures, start its
    next wait."""
    if not username:
        return
    key = _key(_FAILURES, username)
    cache.add(key, 0, timeout=_window_seconds())
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, timeout=_window_seconds())
        failures = 1
    wait = backoff_seconds(failures)
    if wait:
        cache.set(_key(_TURN_AT, username), now() + wait, timeout=math.ceil(wait) + 1)
    cache.delete(_key(_TURN_TAKEN, username))


def username_signed_in(username: str) -> None:
    """A right password: the turn it held is free again (the failures still count until they age
    out, so a stranger's guesses are not forgiven by the owner's sign-in)."""
    if username:
        cache.delete(_key(_TURN_TAKEN, username))
