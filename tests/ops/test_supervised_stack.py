"""`make run`'s process stack under fire: a worker killed mid-burst loses no mail and sends none twice.

supervisord runs web (gunicorn), worker and beat from the repo's own ``supervisord.conf``,
on a seeded database of their own, exactly as ``make run`` does. While requesters create
incidents through the API, the worker is killed with SIGKILL (main process and children,
as the kernel's OOM killer would). Every create must still answer 201, supervisord must
restart the worker, the tasks the dead worker had taken must be redelivered (the visibility
timeout is cut to 5 s here; 30 s in ``make run``), every incident's "received" mail must arrive,
each task's effect (its delivery row) must be recorded exactly once, and no incident may get two
different messages. Killing beat and the web server's master is survived the same way.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from itsm.localserver import free_port, wait_until_healthy
from tests.live import ROOT, VENV_BIN
from tests.ops.test_celery_worker import read_mails

pytestmark = pytest.mark.integration

BURST = 60


def _config(tmp_path: Path) -> Path:
    """The repo's supervisord.conf with its state (.data/) moved into ``tmp_path``."""
    text = (ROOT / "supervisord.conf").read_text()
    text = text.replace("%(here)s/.data", str(tmp_path)).replace("%(here)s", str(ROOT))
    # Children's output to files (the test reads them) rather than supervisord's stdout.
    text = text.replace("stdout_logfile=/dev/stdout", "stdout_logfile=AUTO")
    path = tmp_path / "supervisord.conf"
    path.write_text(text)
    return path


class Stack:
    def __init__(self, config: Path, env: dict):
        self.config, self.env = config, env

    def ctl(self, *args: str) -> str:
        done = subprocess.run([str(VENV_BIN / "supervisorctl"), "-c", str(self.config), *args], env=self.env,
                              capture_output=True, text=True, timeout=30)
        return done.stdout

    def unacked(self) -> int:
        """Tasks of this stack's queue that a worker has taken and not acknowledged (kombu's Redis hash)."""
        import redis
        from django.conf import settings

        client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
        return sum(1 for raw in client.hvals("unacked") if json.loads(raw)[2] == self.env["CELERY_QUEUE"])

    def pids(self) -> dict[str, int]:
        """{program: pid} of the programs supervisord reports RUNNING."""
        running = {}
        for line in self.ctl("status").splitlines():
            match = re.match(r"(\w+)\s+RUNNING\s+pid (\d+)", line)
            if match:
                running[match[1]] = int(match[2])
        return running

    def wait_restarted(self, program: str, old_pid: int, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.pids().get(program)
            if pid and pid != old_pid:
                return pid
            time.sleep(0.2)
        raise AssertionError(f"{program} was not restarted within {timeout:.0f} s:\n{self.ctl('status')}")


def _received(mail_dir: Path, marker: str) -> dict[str, set[str]]:
    """{ticket number: the Message-IDs of its "received" mails} for this drill's incidents."""
    found: dict[str, set[str]] = {}
    for m in read_mails(mail_dir):
        if marker in m["Subject"] and "We have received" in m["Subject"]:
            found.setdefault(re.match(r"\[(\w+)\]", m["Subject"])[1], set()).add(m["Message-ID"])
    return found


def _mail_count(mail_dir: Path, marker: str) -> int:
    return sum(1 for m in read_mails(mail_dir) if marker in m["Subject"])


def _create(port: int, key: str, title: str) -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/incidents/", method="POST",
        data=json.dumps({"title": title, "description": "Raised during the worker-kill drill."}).encode(),
        headers={"Host": "acme.localhost", "Authorization": f"Token {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)["number"]
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()[:500]


def _deliveries(live_database, numbers: set[str]) -> dict[str, int]:
    """{number: delivery rows of its "created" mail}, read from the stack's database."""
    script = (
        "import json, sys\n"
        "import django\n"
        "django.setup()\n"
        "from django.db.models import Count\n"
        "from django_tenants.utils import schema_context\n"
        "from incidents.models import Incident\n"
        "from tickets.models import NotificationDelivery\n"
        "numbers = json.loads(sys.argv[1])\n"
        "with schema_context('acme'):\n"
        "    ids = dict(Incident.objects.filter(number__in=numbers).values_list('pk', 'number'))\n"
        "    rows = (NotificationDelivery.objects.filter(ticket_type='incidents.incident', ticket_id__in=ids,\n"
        "            kind='created').values('ticket_id').annotate(n=Count('id')))\n"
        "    print(json.dumps({ids[row['ticket_id']]: row['n'] for row in rows}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, json.dumps(sorted(numbers))], cwd=ROOT,
                          env=live_database.environment(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def stack(live_database, tmp_path):
    port = free_port()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = live_database.environment(
        PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        ITSM_WEB_COMMAND=f"{VENV_BIN / 'gunicorn'} -c itsm/gunicorn.conf.py itsm.wsgi:application",
        WEB_BIND=f"127.0.0.1:{port}", WEB_WORKERS="2", DB_POOL="1",
        ITSM_TEST_EAGER="0", EMAIL_URL=f"file://{mail_dir}", CELERY_QUEUE=f"itsm-drill-{uuid.uuid4().hex[:8]}",
        CELERY_VISIBILITY_TIMEOUT="5",
    )
    config = _config(tmp_path)
    process = subprocess.Popen([str(VENV_BIN / "supervisord"), "-c", str(config)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    stack = Stack(config, env)
    stack.port, stack.mail_dir, stack.tmp_path = port, mail_dir, tmp_path
    try:
        wait_until_healthy(port, process, timeout=60)
        deadline = time.monotonic() + 30
        while set(stack.pids()) != {"web", "worker", "beat"}:
            assert time.monotonic() < deadline, stack.ctl("status")
            time.sleep(0.2)
        yield stack
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_worker_killed_mid_burst_loses_no_mail_and_sends_none_twice(stack, live_database):
    key = live_database.manage("api_token", "acme", "user@acme.example").strip()
    marker = uuid.uuid4().hex[:6]
    worker_pid = stack.pids()["worker"]
    beat_pid = stack.pids()["beat"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(_create, stack.port, key, f"Drill {marker} #{i}") for i in range(BURST)]
        # Kill while the worker holds taken-but-unacknowledged tasks, with some mail already out.
        deadline = time.monotonic() + 60
        while _mail_count(stack.mail_dir, marker) < 5 or stack.unacked() < 2:
            assert time.monotonic() < deadline, "the worker never got busy"
            time.sleep(0.002)
        os.killpg(worker_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        orphaned = stack.unacked()
        results = [future.result() for future in futures]

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: BURST}, results
    numbers = {number for _, number in results}
    assert len(numbers) == BURST
    assert orphaned >= 1, "the kill caught no task in flight, so nothing had to be redelivered"

    stack.wait_restarted("worker", worker_pid)
    deadline = time.monotonic() + 60
    received = {}
    while time.monotonic() < deadline:
        received = _received(stack.mail_dir, marker)
        if set(received) == numbers:
            break
        time.sleep(0.25)
    recovered_in = time.monotonic() - killed_at
    time.sleep(2)  # a second message, if any, would land now
    received = _received(stack.mail_dir, marker)

    assert set(received) == numbers, f"lost mail for {sorted(numbers - set(received))} after {recovered_in:.0f} s"
    # Each incident got one message. A worker killed in the instant between the mail server's accept
    # and the commit makes its task send that same message again on redelivery (same Message-ID, which
    # mail servers and clients fold into one); no task ever sends a second, different message.
    assert {number: len(ids) for number, ids in received.items() if len(ids) > 1} == {}
    assert _deliveries(live_database, numbers) == {number: 1 for number in numbers}
    assert stack.pids()["beat"] == beat_pid, "killing the worker took beat down too"


def test_beat_and_web_are_restarted_and_the_rest_keeps_serving(stack):
    pids = stack.pids()
    os.killpg(pids["beat"], signal.SIGKILL)
    stack.wait_restarted("beat", pids["beat"])

    # gunicorn's master dies: the port closes briefly, supervisord starts a new one.
    os.killpg(pids["web"], signal.SIGKILL)
    new_web = stack.wait_restarted("web", pids["web"])
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{stack.port}/healthz", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, "web did not come back"
        time.sleep(0.2)
    after = stack.pids()
    assert after["web"] == new_web and after["worker"] == pids["worker"]
