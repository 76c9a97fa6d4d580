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
    pipe = _redis_pipeline()
    if pipe is not None:  # django-redis: SET NX EX, INCR and TTL in one round trip
        _queue_hit(pipe, key, window_seconds)
        return _hit_result(pipe.execute(), window_seconds)
    return _hit_without_redis(key, window_seconds)


def get_many_and_hit(keys: list[str], window: tuple[str, int] | None) -> tuple[dict, tuple[int, int] | None]:
    """`cache.get_many(keys)` and, if `window` = (key, seconds), `window_hit(*window)`: on Redis in one
    round trip (authentication reads the principal and counts the user's request together)."""
    pipe = _redis_pipeline()
    if window is None or pipe is None:
        return cache.get_many(keys), window_hit(*window) if window else None
    pipe.mget([cache.make_and_validate_key(key) for key in keys])
    _queue_hit(pipe, *window)
    values, *hit = pipe.execute()
    found = {key: cache.client.decode(value) for key, value in zip(keys, values, strict=True) if value is not None}
    return found, _hit_result(hit, window[1])


def _redis_pipeline():
    get_client = getattr(getattr(cache, "client", None), "get_client", None)
    return get_client(write=True).pipeline(transaction=False) if get_client is not None else None


def _queue_hit(pipe, key: str, window_seconds: int) -> None:
    full_key = cache.make_and_validate_key(key)
    pipe.set(full_key, 0, ex=window_seconds, nx=True)
    pipe.incr(full_key)
    pipe.ttl(full_key)


def _hit_result(answers: list, window_seconds: int) -> tuple[int, int]:
    _, count, ttl = answers
    return int(count), int(ttl) if ttl and ttl > 0 else window_seconds


def _hit_without_redis(key: str, window_seconds: int) -> tuple[int, int]:
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
        counted = getattr(request, "window_hits", None)
        if counted and self.key in counted:  # counted by authentication (`UserRateThrottle.window_for`)
            count, self.seconds_left = counted.pop(self.key)
        else:
            count, self.seconds_left = window_hit(self.key, self.duration)
        return count <= self.num_requests

    def wait(self):
        return max(1, self.seconds_left)


class AnonRateThrottle(throttling.AnonRateThrottle, WindowRateThrottle):
    """Anonymous requests, per client address (`anon` rate)."""


class UserRateThrottle(throttling.UserRateThrottle, WindowRateThrottle):
    """Signed-in requests, per user (`user` rate)."""

    @classmethod
    def window_for(cls, view, user_id) -> tuple[str, int] | None:
        """The (key, seconds) window that a request of `user_id` to `view` counts in, if the view
        has this throttle: authentication counts it with its own cache read (one round trip), and
        `allow_request` takes that count. Such a request counts once its token is valid, also
        when the account or the permission check then refuses it."""
        if view is None or not any(issubclass(c, cls) for c in getattr(view, "throttle_classes", ())):
            return None
        throttle = cls()
        if throttle.rate is None:
            return None
        return throttle.cache_format % {"scope": throttle.scope, "ident": user_id}, throttle.duration


class ScopedRateThrottle(throttling.ScopedRateThrottle, WindowRateThrottle):
    """Per view's `throttle_scope`, per user or client address."""
