"""CPU time spent serving a load run, by gunicorn workers and by their PostgreSQL backends.

On a shared machine throughput depends on who else is busy; CPU milliseconds
per request do not (much), and give the ceiling a dedicated machine would reach.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:  # the process is gone
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                found += [int(p) for p in listing.read().split()]
        except OSError:
            pass
    return found


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MiB (``VmRSS``), None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def workers_rss_mb(gunicorn_pid: int) -> list[float]:
    """Each gunicorn worker's resident memory, largest first (issue 9: <= 150 MB after the benchmark)."""
    return sorted((mb for mb in map(rss_mb, children(gunicorn_pid)) if mb is not None), reverse=True)


def database_backends() -> list[int]:
    """PostgreSQL backends connected to this database, other than our own connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return [row[0] for row in cursor.fetchall()]


class Sampler:
    """Snapshots every ``interval`` seconds while a run lasts, keeping each process's last reading.

    Django closes a database connection after CONN_MAX_AGE (60 s) at the end of a request, so a
    backend can exit mid-run; sampling loses at most one interval of its CPU instead of all of it.
    The sampling thread opens its own database connection.
    """

    def __init__(self, gunicorn_pid: int, interval: float = 0.5):
        self.gunicorn_pid, self.interval = gunicorn_pid, interval
        self.first = snapshot(gunicorn_pid)
        self.last = Snapshot(dict(self.first.app), dict(self.first.database))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _record(self) -> None:
        now = snapshot(self.gunicorn_pid)
        for seen, current in ((self.last.app, now.app), (self.last.database, now.database)):
            seen.update({pid: seconds for pid, seconds in current.items() if seconds})  # 0.0: already gone

    def _loop(self):
        from django.db import connection

        try:
            while not self._stop.wait(self.interval):
                self._record()
        finally:
            connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._record()
        self.use = used(self.first, self.last)


@dataclass
class Snapshot:
    app: dict
    database: dict


def snapshot(gunicorn_pid: int) -> Snapshot:
    return Snapshot(app={p: _cpu_seconds(p) for p in children(gunicorn_pid)},
                    database={p: _cpu_seconds(p) for p in database_backends()})


@dataclass
class CpuUse:
    app_seconds: float
    database_seconds: float

    def per_request_ms(self, requests: int) -> tuple[float, float]:
        return 1000 * self.app_seconds / requests, 1000 * self.database_seconds / requests


def used(before: Snapshot, after: Snapshot) -> CpuUse:
    """CPU consumed between the snapshots (processes that ended in between are not counted)."""
    def delta(old: dict, new: dict) -> float:
        return sum(max(0.0, seconds - old.get(pid, 0.0)) for pid, seconds in new.items())

    return CpuUse(delta(before.app, after.app), delta(before.database, after.database))
