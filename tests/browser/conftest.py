"""A real server for browser tests: its own fresh database, demo data, `runserver` in a subprocess.

The server runs against ``<database>_e2e`` on the same PostgreSQL server as the
test run (never the pytest-django test database, which rolls back per test).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from itsm.localserver import free_port, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--host-resolver-rules=MAP *.localhost 127.0.0.1"]
SHOTS = Path("/tmp/shots")


def _base_database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        from itsm import devservices

        url = devservices.read_services().get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/itsm"
    return url


def _e2e_database_url() -> tuple[str, str]:
    parsed = urlparse(_base_database_url())
    name = f"{parsed.path.lstrip('/') or 'itsm'}_e2e"
    return urlunparse(parsed._replace(path=f"/{name}")), name


def _drop_database(url: str, name: str, *, recreate: bool = False) -> None:
    import psycopg
    from psycopg import sql

    admin = urlparse(url)._replace(path="/postgres")
    with psycopg.connect(urlunparse(admin), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if recreate:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def chromium_path():
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def e2e_server(chromium_path):
    """Base URL pattern of a seeded server: ``server.url("acme", "/login/")``."""
    url, name = _e2e_database_url()
    _drop_database(url, name, recreate=True)
    media = tempfile.mkdtemp(prefix="itsm-e2e-media-")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "itsm.settings_test",
           "CACHE_KEY_PREFIX": f"itsm-e2e-{os.getpid()}", "MEDIA_ROOT": media, "PYTHONUNBUFFERED": "1"}
    log = open(tempfile.mktemp(prefix="itsm-e2e-", suffix=".log"), "w")
    manage = [sys.executable, str(ROOT / "manage.py")]
    def tail() -> str:
        log.flush()
        return Path(log.name).read_text()[-4000:]

    for command in (["migrate_schemas", "--executor=standard"], ["seed_demo"]):
        done = subprocess.run(manage + command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=600)
        if done.returncode:
            raise RuntimeError(f"manage.py {command[0]} failed:\n{tail()}")
    port = free_port()
    process = subprocess.Popen(manage + ["runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            wait_until_healthy(port, process, timeout=60)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}:\n{tail()}") from None

        class Server:
            log_path = log.name

            @staticmethod
            def url(slug: str, path: str = "/") -> str:
                return f"http://{slug}.localhost:{port}{path}"

        yield Server
    finally:
        stop(process, timeout=10)
        log.close()
        shutil.rmtree(media, ignore_errors=True)
        try:
            _drop_database(url, name)
        except Exception:
            pass  # a leftover database is recreated by the next run


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    # Content-security-policy violations (an inline style or script slipped in) surface as console errors.
    page.console_errors = []
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
