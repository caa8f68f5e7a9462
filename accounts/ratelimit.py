"""Login rate limiting against password guessing, for the login form and the token endpoint alike.

Every attempt is counted *before* its password is checked, per (tenant, email) and per
(tenant, client address), with one atomic Redis script: a counter that passes the limit
refuses the attempt without a password check. So at most ``attempts`` passwords are
checked per account and per address in a window, however many guesses arrive at once
(reading the counter, checking, then incrementing let 30 simultaneous guesses through).
The tenant part of each key comes from the cache's key function
(django_tenants.cache.make_key), so one tenant's lock-outs never touch another's.
A window starts with its counter's first attempt and lasts ``window_seconds``.
"""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.contrib.auth import authenticate as check_password
from django.core.cache import cache

# Counts the attempt on both keys at once and returns each count with its seconds to live.
# A key always gets a lifetime: a counter without one would lock its account for good.
_COUNT = """
local result = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = redis.call('TTL', key)
  if ttl < 0 then
    redis.call('EXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  result[2 * i - 1] = count
  result[2 * i] = ttl
end
return result
"""
# Gives an attempt back without creating or extending a counter.
_REFUND = """
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


class RateLimited(Exception):
    """Too many attempts: the password was not checked. ``wait`` is the seconds until the next try."""

    def __init__(self, wait: int):
        super().__init__(f"Too many attempts, try again in {wait} seconds.")
        self.wait = wait

    @property
    def wait_text(self) -> str:
        """The wait in whole minutes for people: "1 minute", "15 minutes"."""
        minutes = max(1, math.ceil(self.wait / 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"


def limits() -> tuple[int, int]:
    conf = getattr(settings, "LOGIN_RATE_LIMIT", {}) or {}
    return int(conf.get("attempts", 5)), int(conf.get("window_seconds", 900))


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _email_key(email: str) -> str:
    digest = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    return cache.make_and_validate_key(f"login-rl:email:{digest}")


def _ip_key(ip: str) -> str:
    return cache.make_and_validate_key(f"login-rl:ip:{ip}")


def _keys(request, email: str) -> tuple[str, str]:
    """The account's and the address's keys, in full (tenant schema and prefix included): the
    scripts address Redis directly. Both live on one server: the cache has a single LOCATION."""
    return _email_key(email), _ip_key(client_ip(request))


def _redis(key: str):
    # The Django cache API has no atomic "increment, creating with a lifetime": its add + incr
    # can recreate an expired key without one. The scripts run on the cache's own Redis client.
    return cache._cache.get_client(key, write=True)


def count_attempt(request, email: str) -> None:
    """Count one attempt for ``email`` from this client; raise RateLimited when over the limit."""
    attempts, window = limits()
    keys = _keys(request, email)
    client = _redis(keys[0])
    account, account_ttl, address, address_ttl = (int(v) for v in client.eval(_COUNT, len(keys), *keys, window))
    waits = [ttl for count, ttl in ((account, account_ttl), (address, address_ttl)) if count > attempts]
    if waits:
        raise RateLimited(max(1, max(waits)))


def record_success(request, email: str) -> None:
    """The account's counter starts again; the address only gets this attempt back.

    The address's earlier failures stay counted: one good account must not unlock guessing
    others from the same address, but colleagues behind one NAT address who sign in
    correctly do not use up each other's attempts either.
    """
    account_key, address_key = _keys(request, email)
    _redis(account_key).delete(account_key)
    _redis(address_key).eval(_REFUND, 1, address_key)


def authenticate(request, email: str, password: str):
    """The user for these credentials, or None; counted against the limit before the password is checked.

    Raises RateLimited (without checking the password) when the account or the address is over the limit.
    """
    count_attempt(request, email)
    user = check_password(request, username=email, password=password)
    if user is not None:
        record_success(request, email)
    return user


def unlock(*, email: str | None = None, ip: str | None = None) -> int:
    """Forget the current tenant's counter of an account and/or an address; the number forgotten."""
    keys = []
    if email:
        keys.append(_email_key(email))
    if ip:
        keys.append(_ip_key(ip))
    return _redis(keys[0]).delete(*keys) if keys else 0
