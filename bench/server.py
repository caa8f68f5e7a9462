"""Run the app under gunicorn exactly as production would, but on loopback and quiet."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from itsm.localserver import free_port, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

# Production settings (DEBUG off), minus TLS, with notifications only enqueued to Redis.
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "itsm.settings",
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdefghij",
    "SECURE_SSL_REDIRECT": "0",
    "ALLOWED_HOSTS": "localhost,.localhost,127.0.0.1",
    "CELERY_TASK_ALWAYS_EAGER": "0",
    "LOG_LEVEL": "WARNING",
}


def environment() -> dict:
    """The process environment plus SERVER_ENV; DATABASE_URL / REDIS_URL pass through unchanged."""
    return {**os.environ, **SERVER_ENV}


def manage(*args: str) -> str:
    """Run a management command with the server's environment and return its stdout."""
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment(),
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


@contextmanager
def gunicorn(*, host: str, workers: int = 2, port: int | None = None, log_path: Path | None = None,
             experiments: list[str] = ()):
    """Yields (port, master pid) of a running gunicorn; stops that process (and only it) on exit."""
    port = port or free_port()
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    command = [str(VENV_BIN / "gunicorn"), "itsm.wsgi:application", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    env = environment()
    if experiments:  # bench/whatif.py as the config file: its post_worker_init hook applies them
        command += ["-c", str(ROOT / "bench" / "whatif.py")]
        env["BENCH_WHAT_IF"] = ",".join(experiments)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_until_healthy(port, process, host=host)
        yield port, process.pid
    finally:
        stop(process)
        if log_path:
            log.close()
