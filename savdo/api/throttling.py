"""Request throttles that cost one cache round trip: a counter per fixed time window.

DRF's throttles keep a list of every request's timestamp in the cache and read, rewrite and
re-pickle the whole list on each request (two round trips, and a list as long as the rate). A
counter that opens a window at its first request (`SET NX EX` + `INCR` + `TTL` in one pipeline on
Redis) gives the same limit for one round trip and a few bytes. The price: across the edge of two
windows a client may send up to twice the rate within one window's length; for abuse protection
that is fine.

The rates, scopes and cache keys are DRF's (`DEFAULT_THROTTLE_RATES`, `throttle_scope`), so the
subclasses below drop in for `AnonRateThrottle`, `UserRateThrottle` and `ScopedRateThrottle`.
"""

from django.core.cache import cache
from rest_framework import throttling


def window_hit(key: str, window_seconds: int) -> tuple[int, int]:
    """Count one request under `key`; the window opens with the key's first request.

    Returns the window's count so far and the seconds until the window closes.
    """
    client = getattr(cache, "client", None)
    get_client = getattr(client, "get_client", None)
    if get_client is not None:  # django-redis: SET NX EX, INCR and TTL in one round trip
        full_key = cache.make_and_validate_key(key)
        pipe = get_client(write=True).pipeline(transaction=False)
        pipe.set(full_key, 0, ex=window_seconds, nx=True)
        pipe.incr(full_key)
        pipe.ttl(full_key)
        _, count, ttl = pipe.execute()
        return int(count), int(ttl) if ttl and ttl > 0 else window_seconds
    cache.add(key, 0, window_seconds)
    try:
        return cache.incr(key), window_seconds
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, window_seconds)
        return 1, window_seconds


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """DRF's SimpleRateThrottle with a fixed-window counter instead of a timestamp list.

    Listed after DRF's class in the subclasses below, so ScopedRateThrottle still picks its rate
    from the view before handing over here.
    """

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        count, self.seconds_left = window_hit(self.key, self.duration)
        return count <= self.num_requests

    def wait(self):
        return max(1, self.seconds_left)


class AnonRateThrottle(throttling.AnonRateThrottle, WindowRateThrottle):
    """Anonymous requests, per client address (`anon` rate)."""


class UserRateThrottle(throttling.UserRateThrottle, WindowRateThrottle):
    """Signed-in requests, per user (`user` rate)."""


class ScopedRateThrottle(throttling.ScopedRateThrottle, WindowRateThrottle):
    """Per view's `throttle_scope`, per user or client address."""
