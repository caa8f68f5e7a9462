"""Two real Celery workers, each with its own beat, ticking every half second: each escalation fires once."""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from tests.ops.test_celery_worker import worker_database_url
from tests.sla.test_scanner_processes import BASE_DIR, _count, expected_once, in_thread, probe  # noqa: F401

pytestmark = pytest.mark.integration


def start_worker(tmp_path, n, queue):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "itsm.settings_test", "ITSM_TEST_EAGER": "0",
           "DATABASE_URL": worker_database_url(), "CELERY_QUEUE": queue, "SLA_TICK_SECONDS": "0.5"}
    log = (tmp_path / f"worker{n}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "itsm", "worker", "-B", "--schedule", str(tmp_path / f"beat{n}"),
         "--pool=solo", "--loglevel=INFO", "-Q", queue, "-n", f"sla{n}-{queue}@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, log


def test_two_workers_and_two_beats_fire_each_escalation_once(probe, tmp_path):  # noqa: F811
    queue = f"itsm-sla-{uuid.uuid4().hex[:8]}"
    workers = [start_worker(tmp_path, n, queue) for n in (1, 2)]
    expected = expected_once(probe)
    try:
        deadline = time.monotonic() + 45
        counts = None
        while time.monotonic() < deadline:
            for process, _ in workers:
                assert process.poll() is None, (tmp_path / "worker1.log").read_text()[-3000:]
            counts = in_thread(lambda: _count(probe))
            if counts["firings"] >= expected["firings"]:
                break
            time.sleep(0.5)
        time.sleep(2)  # a few more ticks from both beats: nothing may fire again
        counts = in_thread(lambda: _count(probe))
    finally:
        for process, log in workers:
            process.send_signal(signal.SIGTERM)
        for process, log in workers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
    assert counts == expected
    logs = [(tmp_path / f"worker{n}.log").read_text() for n in (1, 2)]
    fired = sum(log.count('"sla escalation fired"') for log in logs)
    assert fired == expected["firings"], logs[0][-2000:]
    assert all('"sla.tasks.sla_tick"' in log for log in logs)  # both beats' ticks ran
