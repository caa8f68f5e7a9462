from django.db import connection
from django.http import JsonResponse

from itsm import heartbeat


def healthz(request):
    """Database, Redis and beat/worker heartbeat; 503 when database or Redis fail."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # report, never raise: this is the health endpoint
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        heartbeat.client().ping()
        checks["redis"] = "ok"
        age = heartbeat.age_seconds()
        if age is None:
            checks["worker_beat"] = "no heartbeat yet"
        elif age > heartbeat.STALE_AFTER_SECONDS:
            checks["worker_beat"] = f"stale ({int(age)} s)"
        else:
            checks["worker_beat"] = "ok"
        checks["worker_beat_age_seconds"] = None if age is None else round(age, 1)
    except Exception as exc:
        checks["redis"] = f"error: {exc.__class__.__name__}"
        checks["worker_beat"] = "unknown"
    healthy = checks["database"] == "ok" and checks["redis"] == "ok"
    return JsonResponse(
        {"status": "ok" if healthy and checks["worker_beat"] == "ok" else ("degraded" if healthy else "error"), "checks": checks},
        status=200 if healthy else 503,
    )
