"""Real servers for tests: a seeded database of their own and the web server `make run` uses.

The in-process test client once hid a 500 on every API create (a header the real
WSGI servers refused), so API contract, concurrency and browser tests go through
real servers started here:

- ``gunicorn``: the production server with the settings of ``itsm/gunicorn.conf.py``
  and the bounded database pool, exactly as ``make run`` serves;
- ``runserver``: Django's development server (``make dev``), built on the standard
  library's wsgiref, which is strict about header types.

Both run against ``<database>_live`` on the test run's PostgreSQL server (never the
pytest-django test database, which rolls back per test), migrated and seeded with the
demo tenants once per test session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from itsm.localserver import free_port, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def base_database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        from itsm import devservices

        url = devservices.read_services().get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/itsm"
    return url


def _database_url(suffix: str) -> tuple[str, str]:
    parsed = urlparse(base_database_url())
    name = f"{parsed.path.lstrip('/') or 'itsm'}_{suffix}"
    return urlunparse(parsed._replace(path=f"/{name}")), name


def drop_database(url: str, name: str, *, recreate: bool = False) -> None:
    import psycopg
    from psycopg import sql

    admin = urlparse(url)._replace(path="/postgres")
    with psycopg.connect(urlunparse(admin), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if recreate:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@dataclass
class SeededDatabase:
    url: str
    name: str
    media_root: str
    cache_prefix: str

    def environment(self, **extra: str) -> dict:
        """The environment of a process that works on this database (server, worker, command)."""
        return {**os.environ, "DATABASE_URL": self.url, "DJANGO_SETTINGS_MODULE": "itsm.settings_test",
                "CACHE_KEY_PREFIX": self.cache_prefix, "MEDIA_ROOT": self.media_root, "PYTHONUNBUFFERED": "1",
                **extra}

    def manage(self, *args: str, **extra_env: str) -> str:
        done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT,
                              env=self.environment(**extra_env), capture_output=True, text=True, timeout=600)
        if done.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done.stdout


@contextmanager
def seeded_database(suffix: str = "live"):
    """A fresh database with the demo tenants (acme, globex); dropped afterwards."""
    url, name = _database_url(suffix)
    drop_database(url, name, recreate=True)
    db = SeededDatabase(url=url, name=name, media_root=tempfile.mkdtemp(prefix=f"itsm-{suffix}-media-"),
                        cache_prefix=f"itsm-{suffix}-{os.getpid()}")
    try:
        db.manage("migrate_schemas", "--executor=standard")
        db.manage("seed_demo")
        yield db
    finally:
        shutil.rmtree(db.media_root, ignore_errors=True)
        try:
            drop_database(url, name)
        except Exception:
            pass  # a leftover database is recreated by the next run


@dataclass
class LiveServer:
    kind: str
    port: int
    process: subprocess.Popen
    log_path: str

    def url(self, slug: str | None, path: str = "/") -> str:
        host = f"{slug}.localhost" if slug else "localhost"
        return f"http://{host}:{self.port}{path}"

    def host(self, slug: str | None) -> str:
        return f"{slug}.localhost:{self.port}" if slug else f"localhost:{self.port}"

    def log(self) -> str:
        return Path(self.log_path).read_text()[-6000:]


def server_command(kind: str, port: int) -> tuple[list[str], dict]:
    """The command line and extra environment of a web server of ``kind`` on loopback ``port``."""
    if kind == "gunicorn":
        return ([str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "itsm" / "gunicorn.conf.py"), "itsm.wsgi:application"],
                {"WEB_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": os.environ.get("TEST_WEB_WORKERS", "2"),
                 "WEB_THREADS": "4", "DB_POOL": "1"})
    if kind == "runserver":
        return ([sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
                {"DB_POOL": "0"})
    raise ValueError(f"unknown server kind {kind!r}")


@contextmanager
def live_server(db: SeededDatabase, kind: str = "gunicorn", **extra_env: str):
    """A running server of ``kind`` on ``db``; stopped (with its workers) on exit."""
    port = free_port()
    command, env = server_command(kind, port)
    log = open(tempfile.mktemp(prefix=f"itsm-{kind}-", suffix=".log"), "w")
    process = subprocess.Popen(command, cwd=ROOT, env=db.environment(**env, **extra_env), stdout=log,
                               stderr=subprocess.STDOUT)
    server = LiveServer(kind=kind, port=port, process=process, log_path=log.name)
    try:
        try:
            wait_until_healthy(port, process, timeout=60)
        except RuntimeError as exc:
            log.flush()
            raise RuntimeError(f"{exc}:\n{server.log()}") from None
        yield server
    finally:
        stop(process, timeout=15)
        log.close()


@contextmanager
def live_worker(db: SeededDatabase, queue: str):
    """A real Celery worker on ``db`` taking tasks from ``queue`` only (a server started with
    ``CELERY_QUEUE=queue, ITSM_TEST_EAGER="0"`` sends it its tasks); stopped on exit."""
    log = open(tempfile.mktemp(prefix="itsm-worker-", suffix=".log"), "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "itsm", "worker", "--pool=solo", "--loglevel=INFO", "-Q", queue,
         "-n", f"live-{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=db.environment(ITSM_TEST_EAGER="0", CELERY_QUEUE=queue), stdout=log, stderr=subprocess.STDOUT)
    process.log_path = log.name  # for a test to show what the worker did when a task never finished
    try:
        yield process
    finally:
        stop(process, timeout=15)
        log.close()
