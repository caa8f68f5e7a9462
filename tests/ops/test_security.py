"""Production settings pass Django's deploy checks; every HTML response carries the CSP."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.tenants.conftest import public_user

BASE_DIR = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def production_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"ITSM_TESTING", "DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="itsm.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="desk.example.com,.desk.example.com",
        BASE_DOMAIN="desk.example.com",
    )
    env.update(overrides)
    return env


def start_manage(*args, env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def env_without_secret_key() -> dict:
    env = production_env()
    del env["SECRET_KEY"]
    return env


@pytest.fixture(scope="module")
def checks():
    """The three `manage.py` runs, started together: each costs a Django start-up."""
    started = {
        "deploy": start_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env()),
        "deploy_insecure": start_manage("check", "--deploy", "--fail-level", "WARNING",
                                        env=production_env(SECURE_SSL_REDIRECT="0")),
        "no_secret": start_manage("check", env=env_without_secret_key()),
    }
    results = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=120)
        results[name] = (process.returncode, stdout, stderr)
    return results


def test_deploy_check_passes_with_production_settings(checks):
    returncode, stdout, stderr = checks["deploy"]
    assert returncode == 0, stdout + stderr
    assert "System check identified no issues" in stdout


def test_deploy_check_would_catch_an_insecure_setting(checks):
    """Proves the check above is live: turning off HTTPS redirects makes it fail."""
    returncode, stdout, stderr = checks["deploy_insecure"]
    assert returncode != 0
    assert "security.W008" in stdout + stderr


def test_production_refuses_to_start_without_a_secret_key(checks):
    returncode, _, stderr = checks["no_secret"]
    assert returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in stderr


def assert_csp_clean(response):
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not INLINE_HANDLER.search(html)
    assert not INLINE_STYLE.search(html)


@pytest.mark.parametrize("path", ["/", "/tenants/new/", "/tenants/alpha/branding/", "/tenants/alpha/suspend/"])
def test_console_pages_carry_the_csp_and_need_no_inline_code(db, path):
    client = Client(HTTP_HOST="localhost")
    client.force_login(public_user())
    response = client.get(path)
    assert response.status_code == 200
    assert_csp_clean(response)


def test_console_error_pages_carry_the_csp(db):
    from accounts.models import User

    client = Client(HTTP_HOST="localhost")
    client.force_login(public_user(email="notop@msp.test", role=User.Role.AGENT))
    assert_csp_clean(client.get("/"))  # 403
    invalid = Client(HTTP_HOST="localhost")
    invalid.force_login(public_user())
    response = invalid.post("/tenants/new/", {"slug": "x"})
    assert response.status_code == 400
    assert_csp_clean(response)


def test_responses_that_end_before_the_view_carry_the_csp_too(db, tenant, make_client):
    from tenants.services import suspend_tenant

    unknown_host = Client(HTTP_HOST="nobody.localhost").get("/")
    assert unknown_host.status_code == 404
    assert unknown_host["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY

    csrf_failure = Client(HTTP_HOST="localhost", enforce_csrf_checks=True).post("/login/", {})
    assert csrf_failure.status_code == 403
    assert csrf_failure["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY

    suspend_tenant(tenant, reason="test")
    suspended = make_client(tenant).get("/login/")
    assert suspended.status_code == 403
    assert_csp_clean(suspended)


def test_login_pages_carry_the_csp(tenant, make_client):
    assert_csp_clean(Client(HTTP_HOST="localhost").get("/login/"))
    assert_csp_clean(make_client(tenant).get("/login/"))


def test_unknown_host_api_answers_json_404_and_pages_the_product_404(db):
    api = Client(HTTP_HOST="nobody.localhost").get("/api/v1/incidents/", HTTP_AUTHORIZATION="Token abc")
    assert api.status_code == 404 and api.json()["code"] == "unknown_tenant"
    page = Client(HTTP_HOST="nobody.localhost").get("/desk/incidents/")
    assert page.status_code == 404 and b"We could not find that page" in page.content
