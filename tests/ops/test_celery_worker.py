"""A real Celery worker (not eager) sends the requester's mail, in the right tenant.

Tests run inside a rolled-back transaction that a worker cannot see, so the
incident is created and committed by a separate Python process, and
removed again at the end from a thread (Django gives it its own, autocommitting connection).
"""

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django_tenants.utils import schema_context

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration

SENDER = """
import json
import django
django.setup()
from django_tenants.utils import schema_context
from itsm.celery import app
app.conf.task_default_queue = {queue!r}
with schema_context("alpha"):
    from accounts.models import User
    from incidents.services import create_incident
    person = User.objects.create_user({email!r}, None, full_name="Wanda Worker-Probe", role=User.Role.REQUESTER)
    incident = create_incident(by=person, requester=person, title="Worker probe: printer offline")
    print("PROBE " + json.dumps({{"user": person.pk, "incident": incident.pk, "number": incident.number}}))
"""


def worker_database_url() -> str:
    """The test database (test_<name>), as a URL for the worker; also for embedded unix-socket servers."""
    db = connection.settings_dict
    auth = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    host = db["HOST"] or "127.0.0.1"
    host = quote(host, safe="") if host.startswith("/") else host
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgresql://{auth}@{host}{port}/{db['NAME']}"


def read_mails(mail_dir: Path) -> list[email.message.Message]:
    separator = "-" * 79
    mails = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_text().split(separator):
            if chunk.strip():
                mails.append(email.message_from_string(chunk.strip(), policy=email.policy.default))
    return mails


def delete_committed(user_id: int, incident_id: int) -> None:
    errors = []

    def run():
        try:
            _delete_committed(user_id, incident_id)
        except Exception as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def _delete_committed(user_id: int, incident_id: int) -> None:
    """Remove the probe's rows, including timeline/SLA rows that point at the incident generically."""
    from django.apps import apps

    from accounts.models import User
    from incidents.models import Incident

    with schema_context("alpha"):
        incident_type = Incident._meta.label_lower
        for model in apps.get_models():
            names = {field.name for field in model._meta.get_fields()}
            if {"ticket_type", "ticket_id"} <= names and model._meta.app_label != "contenttypes":
                model.objects.filter(ticket_type=incident_type, ticket_id=incident_id).delete()
        Incident.objects.filter(pk=incident_id).delete()
        User.objects.filter(pk=user_id).delete()


def test_worker_emails_the_requester_from_the_right_tenant(db, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    queue = f"itsm-test-{uuid.uuid4().hex[:8]}"
    probe_email = f"probe-{uuid.uuid4().hex[:8]}@alpha.test"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "itsm.settings_test",
        "ITSM_TEST_EAGER": "0",
        "EMAIL_URL": f"file://{mail_dir}",
        "DATABASE_URL": worker_database_url(),
        "SITE_URL": "http://localhost:8000",
    }
    worker_log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "itsm", "worker", "--pool=solo", "--loglevel=INFO", "-Q", queue,
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=BASE_DIR, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
    )
    probe = None
    try:
        # The message waits in the queue if the worker is still starting, so both start together.
        sender = subprocess.run(
            [sys.executable, "-c", SENDER.format(queue=queue, email=probe_email)],
            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
        )
        assert sender.returncode == 0, sender.stderr
        probe = json.loads(next(line for line in sender.stdout.splitlines() if line.startswith("PROBE "))[6:])

        deadline = time.monotonic() + 15
        mails = []
        while time.monotonic() < deadline and not mails:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
            mails = [m for m in read_mails(mail_dir) if m["To"] == probe_email]
        assert mails, "no mail within 15 s; worker log:\n" + (tmp_path / "worker.log").read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        worker_log.close()
        if probe:
            delete_committed(probe["user"], probe["incident"])

    [mail] = mails
    assert mail["Subject"] == f"[{probe['number']}] We have received your request: Worker probe: printer offline"
    body = mail.get_content()
    assert "-- Alpha Ltd Service Desk" in body
    assert f"http://alpha.localhost:8000/portal/tickets/{probe['number']}/" in body
    assert "Beta" not in body

    task_lines = [json.loads(line) for line in (tmp_path / "worker.log").read_text().splitlines()
                  if line.startswith("{") and '"itsm.task"' in line]
    sent = [line for line in task_lines if line["task"] == "tickets.tasks.send_ticket_notification"]
    assert sent and sent[0]["tenant"] == "alpha" and sent[0]["state"] == "SUCCESS"

    with schema_context("alpha"):
        from accounts.models import User
        from incidents.models import Incident

        assert not User.objects.filter(email=probe_email).exists()
        assert not Incident.objects.filter(pk=probe["incident"]).exists()
    connection.set_schema_to_public()
