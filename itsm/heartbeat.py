"""Heartbeat of Celery beat + worker, stored in Redis outside any tenant prefix.

Beat schedules ``itsm.tasks.beat_heartbeat`` every 15 s and a worker runs it,
so a recent value proves both are alive. /healthz reads it.
"""

import time

import redis
from django.conf import settings

KEY = "itsm:heartbeat:beat-worker"
STALE_AFTER_SECONDS = 60


def client() -> redis.Redis:
    return redis.Redis.from_url(settings.CACHES["default"]["LOCATION"], socket_timeout=2)


def beat() -> None:
    client().set(KEY, str(time.time()), ex=3600)


def age_seconds() -> float | None:
    value = client().get(KEY)
    return None if value is None else time.time() - float(value)
