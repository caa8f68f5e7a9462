"""Thirty simultaneous password guesses against the real server (gunicorn, 2 workers x 4 threads).

Each process has its own memory, so only a counter shared in Redis and counted before the
password check can hold the limit. A guess whose password was checked answers "wrong
password" (401 from the API, the form error from the sign-in page); a refused one answers
429 without a check. So the count of non-429 answers is the count of password checks.
"""

import re
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings

GUESSES = 30
PASSWORD = "a long and proper passphrase"
CREATE_USER = """
from django_tenants.utils import schema_context
from accounts.models import User
with schema_context("acme"):
    User.objects.create_user(email={email!r}, password={password!r}, full_name="Guessed Account", role="agent")
"""


@pytest.fixture
def limit():
    return settings.LOGIN_RATE_LIMIT["attempts"]  # the servers read the same environment


@pytest.fixture
def guessed_account(live_database):
    """An account of its own on acme (never a demo login other tests sign in with), with the
    counters of it and of 127.0.0.1 cleared before and after: every guess comes from 127.0.0.1."""
    email = f"guessed-{uuid.uuid4().hex[:8]}@acme.example"
    live_database.manage("shell", "-c", CREATE_USER.format(email=email, password=PASSWORD))

    def unlock():
        live_database.manage("unlock_login", "acme", "--email", email, "--ip", "127.0.0.1")

    unlock()
    yield email
    unlock()


def at_once(count, send):
    """``send(n)`` from ``count`` threads released together; their responses."""
    barrier = threading.Barrier(count)

    def one(n):
        session = requests.Session()
        barrier.wait(timeout=30)
        return send(session, n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def on(server, path):
    # *.localhost need not resolve on the test machine: connect to loopback, name the tenant in Host.
    return f"http://127.0.0.1:{server.port}{path}", {"Host": server.host("acme")}


def test_thirty_simultaneous_api_guesses_get_at_most_the_limit_of_password_checks(
        gunicorn_server, live_database, guessed_account, limit):
    url, headers = on(gunicorn_server, "/api/v1/auth/token/")

    def guess(session, n):
        return session.post(url, headers=headers, json={"email": guessed_account, "password": f"guess {n}"}, timeout=60)

    responses = at_once(GUESSES, guess)
    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[401] == limit, statuses  # every counted guess was checked, no more
    for response in responses:
        if response.status_code == 429:
            assert 0 < int(response.headers["Retry-After"]) <= settings.LOGIN_RATE_LIMIT["window_seconds"]
            body = response.json()
            assert body["code"] == "rate_limited" and body["fields"] == {} and body["detail"]
    # Now locked: the right password is refused unchecked, until the lock is lifted.
    right = {"email": guessed_account, "password": PASSWORD, "name": "after the storm"}
    assert requests.post(url, headers=headers, json=right, timeout=30).status_code == 429
    live_database.manage("unlock_login", "acme", "--email", guessed_account, "--ip", "127.0.0.1")
    created = requests.post(url, headers=headers, json=right, timeout=30)
    assert created.status_code == 201 and created.json()["name"] == "after the storm"


def test_thirty_simultaneous_sign_in_form_guesses_get_at_most_the_limit_of_password_checks(
        gunicorn_server, live_database, guessed_account, limit):
    url, headers = on(gunicorn_server, "/login/")
    page = requests.get(url, headers=headers, timeout=30)
    csrf_cookie = page.cookies["csrftoken"]
    csrf_field = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    def guess(session, n, password=None):
        session.cookies.set("csrftoken", csrf_cookie)
        return session.post(url, headers=headers, allow_redirects=False, timeout=60, data={
            "csrfmiddlewaretoken": csrf_field, "username": guessed_account, "password": password or f"guess {n}"})

    responses = at_once(GUESSES, guess)
    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[200] == limit, statuses
    assert all("do not match" in r.text for r in responses if r.status_code == 200)
    refused = [r for r in responses if r.status_code == 429]
    assert all("Too many attempts, try again in" in r.text and int(r.headers["Retry-After"]) > 0 for r in refused)
    assert guess(requests.Session(), 0, PASSWORD).status_code == 429  # even the right password
