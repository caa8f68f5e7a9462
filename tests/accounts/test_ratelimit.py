"""The login limiter (accounts.ratelimit) on the real Redis cache: counted before the check, atomic, per tenant."""

import threading
import time
from contextlib import nullcontext
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import RequestFactory

from accounts import ratelimit

LIMIT, WINDOW = 5, 900


@pytest.fixture(autouse=True)
def limits(cache_of_its_own, settings):
    settings.LOGIN_RATE_LIMIT = {"attempts": LIMIT, "window_seconds": WINDOW}


def request_from(ip="10.0.0.1"):
    return RequestFactory().post("/login/", REMOTE_ADDR=ip)


def redis_ttl(key_suffix: str) -> int:
    from django.core.cache import cache

    key = cache.make_and_validate_key(key_suffix)
    return cache._cache.get_client(key).ttl(key)


@pytest.fixture
def password_checks(monkeypatch):
    """Counts the password checks the limiter lets through (thread-safe); every one fails, after a
    pause like a real password hash's, the window in which a read-then-count limiter lets guesses by."""
    checked = []
    lock = threading.Lock()

    def check(request, username, password):
        with lock:
            checked.append(username)
        time.sleep(0.02)
        return None

    monkeypatch.setattr(ratelimit, "check_password", check)
    return checked


def test_the_attempt_over_the_limit_is_refused_with_the_time_left(tenant):
    request = request_from()
    for _ in range(LIMIT):
        ratelimit.count_attempt(request, "a@example.test")
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.count_attempt(request, "a@example.test")
    assert WINDOW - 5 <= refused.value.wait <= WINDOW
    assert refused.value.wait_text == "15 minutes"


def test_emails_are_counted_case_insensitively(tenant):
    for n in range(LIMIT):
        ratelimit.count_attempt(request_from(f"10.0.1.{n}"), "Mixed@Example.test" if n % 2 else "mixed@example.test")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.count_attempt(request_from("10.0.1.99"), " MIXED@example.TEST ")


def test_one_address_is_limited_across_accounts(tenant):
    request = request_from("10.0.2.1")
    for n in range(LIMIT):
        ratelimit.count_attempt(request, f"user{n}@example.test")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.count_attempt(request, "someone-else@example.test")
    ratelimit.count_attempt(request_from("10.0.2.2"), "someone-else@example.test")  # another address may


def test_over_the_limit_the_password_is_not_checked_at_all(tenant, password_checks):
    request = request_from()
    for _ in range(LIMIT):
        assert ratelimit.authenticate(request, "b@example.test", "guess") is None
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.authenticate(request, "b@example.test", "the right one")
    assert len(password_checks) == LIMIT


def test_thirty_simultaneous_guesses_get_at_most_the_limit_of_password_checks(tenant, password_checks):
    barrier = threading.Barrier(30)

    def guess(n):
        barrier.wait()  # all 30 ask at once
        try:
            ratelimit.authenticate(request_from(f"10.0.3.{n}"), "target@example.test", f"guess-{n}")
        except ratelimit.RateLimited:
            return "refused"
        return "checked"

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(guess, range(30)))
    assert outcomes.count("checked") == len(password_checks) == LIMIT
    assert outcomes.count("refused") == 30 - LIMIT


def test_a_success_restarts_the_account_and_gives_the_address_one_attempt_back(tenant):
    request = request_from("10.0.4.1")
    for _ in range(LIMIT - 1):
        ratelimit.count_attempt(request, "c@example.test")
    ratelimit.count_attempt(request, "c@example.test")
    ratelimit.record_success(request, "c@example.test")
    # The account starts again from any address ...
    for n in range(LIMIT):
        ratelimit.count_attempt(request_from(f"10.0.4.{n + 10}"), "c@example.test")
    # ... but this address keeps its LIMIT - 1 failures: one attempt left, then refused.
    ratelimit.count_attempt(request, "d@example.test")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.count_attempt(request, "e@example.test")


def test_a_refund_never_creates_a_counter(tenant):
    ratelimit.record_success(request_from("10.0.5.1"), "f@example.test")
    assert redis_ttl("login-rl:ip:10.0.5.1") == -2  # no such key


def test_every_counter_has_a_lifetime_even_one_that_lost_it(tenant):
    from django.core.cache import cache

    ratelimit.count_attempt(request_from("10.0.6.1"), "g@example.test")
    assert 0 < redis_ttl("login-rl:ip:10.0.6.1") <= WINDOW
    # A counter left without an expiry (by hand, or an old writer) would lock its address for good.
    key = cache.make_and_validate_key("login-rl:ip:10.0.6.2")
    cache._cache.get_client(key, write=True).set(key, 2)
    ratelimit.count_attempt(request_from("10.0.6.2"), "g@example.test")
    assert 0 < redis_ttl("login-rl:ip:10.0.6.2") <= WINDOW


def test_counters_are_per_tenant(tenant, other_tenant):
    request = request_from("10.0.7.1")
    for _ in range(LIMIT):
        ratelimit.count_attempt(request, "same@example.test")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.count_attempt(request, "same@example.test")
    connection.set_tenant(other_tenant)
    try:
        ratelimit.count_attempt(request, "same@example.test")  # beta has its own counters
    finally:
        connection.set_tenant(tenant)


def test_unlock_forgets_an_account_or_an_address(tenant):
    for n in range(LIMIT + 1):
        with pytest.raises(ratelimit.RateLimited) if n == LIMIT else nullcontext():
            ratelimit.count_attempt(request_from("10.0.8.1"), "h@example.test")
    assert ratelimit.unlock(email="H@example.test") == 1
    with pytest.raises(ratelimit.RateLimited):  # the address is still over
        ratelimit.count_attempt(request_from("10.0.8.1"), "h@example.test")
    assert ratelimit.unlock(email="h@example.test", ip="10.0.8.1") == 2
    ratelimit.count_attempt(request_from("10.0.8.1"), "h@example.test")
    assert ratelimit.unlock() == 0


def test_unlock_login_command(tenant):
    from io import StringIO

    from django.core.management import CommandError, call_command

    for _ in range(LIMIT + 1):
        try:
            ratelimit.count_attempt(request_from("10.0.9.1"), "i@example.test")
        except ratelimit.RateLimited:
            pass
    out = StringIO()
    call_command("unlock_login", tenant.slug, "--email", "i@example.test", "--ip", "10.0.9.1", stdout=out)
    assert "2 counter(s) cleared" in out.getvalue()
    ratelimit.count_attempt(request_from("10.0.9.1"), "i@example.test")
    with pytest.raises(CommandError, match="Name an account"):
        call_command("unlock_login", tenant.slug)
    with pytest.raises(CommandError, match="No tenant"):
        call_command("unlock_login", "nosuch", "--ip", "10.0.9.1")

