"""Liveness and readiness probes: plain Django views, no authentication, no tenant."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """The process is up (no database): also the benchmark floor."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """The database answers, and Redis too when it is configured."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        try:
            cache.set("savdo:readyz", "1", 5)
            checks["redis"] = "ok" if cache.get("savdo:readyz") == "1" else "error: no round trip"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return JsonResponse(body, status=200 if ready else 503, json_dumps_params={"ensure_ascii": False})
