"""Login rate limiting against password guessing.

Failed attempts are counted per (tenant, email) and per (tenant, IP) in the
Django cache; the tenant part comes from the cache's key function
(django_tenants.cache.make_key), so one tenant's lock-outs never touch another's.
Counters start with the first failure and expire ``window_seconds`` later.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache


def _limits() -> tuple[int, int]:
    conf = getattr(settings, "LOGIN_RATE_LIMIT", {}) or {}
    return int(conf.get("attempts", 5)), int(conf.get("window_seconds", 900))


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _keys(email: str, ip: str) -> list[str]:
    email_digest = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    return [f"login-rl:email:{email_digest}", f"login-rl:ip:{ip}"]


def retry_after_seconds(request, email: str) -> int:
    """Seconds until the caller may try again; 0 when not locked out."""
    attempts, window = _limits()
    now = time.time()
    wait = 0
    for key in _keys(email, client_ip(request)):
        count = cache.get(key) or 0
        if count >= attempts:
            started = cache.get(f"{key}:since") or now
            wait = max(wait, int(started + window - now))
    return max(wait, 0) if wait else 0


def retry_after_minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def register_failure(request, email: str) -> None:
    _, window = _limits()
    for key in _keys(email, client_ip(request)):
        if cache.add(key, 0, timeout=window):
            cache.set(f"{key}:since", time.time(), timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            cache.set(f"{key}:since", time.time(), timeout=window)


def reset_email(request, email: str) -> None:
    """A successful login clears the account's counter (not the IP's: one good account must not unlock guessing others)."""
    key = _keys(email, client_ip(request))[0]
    cache.delete_many([key, f"{key}:since"])
