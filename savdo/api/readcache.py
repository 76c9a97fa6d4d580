"""Rendered answers of hot reads, kept exact by per-tenant data versions.

Shop screens ask the same questions over and over: page 1 of the customers, a search typed at the
till, this morning's report. A view lists which of its GET actions may be answered from the cache
and which data scopes each one reads:

    read_cache = {"list": ("customers",), "segments": ("sales", "customers")}

(`"get"` names a plain APIView's GET). For such a request, after authentication, tenant and role
checks and throttling have run as usual, the answer is looked up under:

- the current `data` versions of those scopes for the request's tenant, read from the database
  (savdo/core/versions.py: every write to a model of the scope renews them in its own transaction;
  the authentication reads them with the principal's generation when it can);
- everything else the answer depends on: the tenant, the member (their membership by default; their
  role only for views that declare `read_cache_shared_by_role = True`, which a test holds to giving
  every member of a role the same answer), the path and its query
  parameters (order ignored), the language, the negotiated media type, the scheme and host (links
  to other pages), and the tenant's local date (reports relative to "today").

A miss runs the view and stores a 200 answer's rendered bytes under the versions read before it ran,
so an answer computed before a write is never served after it. Nothing is stored while a
transaction is open (it could see its own uncommitted rows).

Each server process also keeps the answers it served lately in memory (`LocalAnswers`, bounded by
`SAVDO_LOCAL_ANSWERS_MB`), under the same keys. The versions are still read from the database on
every request, so a local hit is exactly as current as a shared one; it only saves fetching
(and unpickling) the bytes, which for a year's report is about 170 KB.

What a view may not do to be listed: read data outside its declared scopes, or depend on the time
of day, or on anything but the request, the member and those scopes (the user beyond their role, when
it shares answers by role).
"""

import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone, translation
from rest_framework.response import Response

from savdo.core import versions

RESPONSE_TIMEOUT = 600


class LocalAnswers:
    """A process's recently served answers: least recently used first out once their bytes pass
    `max_bytes`; none older than `RESPONSE_TIMEOUT`. Thread-safe (gunicorn threads share it)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[str, tuple[float, str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[str, bytes] | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            expires, content_type, content = item
            if expires < time.monotonic():
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return content_type, content

    def put(self, key: str, content_type: str, content: bytes) -> None:
        # One answer may take at most a quarter of the room, so a few big ones cannot flush the rest.
        if len(content) * 4 > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                self._drop(key)
            self._items[key] = (time.monotonic() + RESPONSE_TIMEOUT, content_type, content)
            self.size += len(content)
            while self.size > self.max_bytes:
                self._drop(next(iter(self._items)))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0

    def _drop(self, key: str) -> None:
        self.size -= len(self._items.pop(key)[2])


local_answers = LocalAnswers(settings.SAVDO_LOCAL_ANSWERS_MB * 1024 * 1024)


def version_keys(view, method: str, tenant_id) -> list[str]:
    """The data version keys `view` keys this request's answer on ([] when it is not cached)."""
    if method != "GET" or not settings.SAVDO_RESPONSE_CACHE:
        return []
    scopes = getattr(view, "read_cache", {}).get(getattr(view, "action", None) or "get", ())
    return [versions.key("data", scope, tenant_id) for scope in scopes]


class ReadCacheMixin:
    """Serve the GET actions named in `read_cache` from the versioned response cache."""

    read_cache: dict[str, tuple[str, ...]] = {}
    # An answer that depends only on the member's role may be shared by every member of that role:
    # an explicit opt-in (tests/api/test_readcache_scopes.py checks each view that declares it).
    read_cache_shared_by_role: bool = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "GET" or not settings.SAVDO_RESPONSE_CACHE:
            return
        scopes = self.read_cache.get(getattr(self, "action", None) or "get")
        tenant = getattr(request, "tenant", None)
        if not scopes or tenant is None or versions.in_transaction(connection):
            return
        handler = self.get
        self.get = lambda request, *a, **kw: self._cached_answer(request, scopes, handler, *a, **kw)

    def _answer_key(self, request, found: list[str]) -> str:
        membership = getattr(request, "membership", None)
        member = f"role:{membership.role}" if self.read_cache_shared_by_role else f"member:{membership.pk}"
        parts = (
            found,
            member,
            request.path,
            sorted(request.query_params.lists()),
            translation.get_language(),
            getattr(request, "accepted_media_type", ""),
            request.scheme,
            request.get_host(),
            timezone.localdate().isoformat(),
        )
        return f"answer:{request.tenant.pk}:{versions.digest(parts)}"

    def _cached_answer(self, request, scopes, handler, *args, **kwargs):
        keys = [versions.key("data", scope, request.tenant.pk) for scope in scopes]
        # read with the principal's generation when the authentication could (savdo/api/principals.py)
        lookup = getattr(request, "principal_lookup", None)
        prefetched = lookup.versions if lookup is not None else {}
        found = [prefetched[k] for k in keys] if all(k in prefetched for k in keys) else versions.current(keys)
        key = self._answer_key(request, found)
        stored = local_answers.get(key)
        if stored is None:
            stored = cache.get(key)
            if stored is not None:
                local_answers.put(key, *stored)
        if stored is not None:
            content_type, content = stored
            return HttpResponse(content, content_type=content_type)
        response = handler(request, *args, **kwargs)
        if response.status_code == 200 and isinstance(response, Response):
            response.accepted_renderer = request.accepted_renderer
            response.accepted_media_type = request.accepted_media_type
            response.renderer_context = self.get_renderer_context()
            response.render()
            cache.set(key, (response["Content-Type"], response.content), RESPONSE_TIMEOUT)
            local_answers.put(key, response["Content-Type"], response.content)
        return response
