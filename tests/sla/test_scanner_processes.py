"""Real processes on committed data: two workers ticking at once, and a worker killed mid-batch.

The rows are committed from a thread (its own autocommitting connection) because the
test's own transaction is invisible to other processes; they are removed again at the end.
"""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tests.ops.test_celery_worker import worker_database_url

BASE_DIR = Path(__file__).resolve().parents[2]
CLOCKS = 40
RULES = ((75, "notify_assignee"), (90, "add_watchers"), (100, "raise_priority"))

pytestmark = pytest.mark.integration

TICKER = """
import os, sys
import django
django.setup()
from sla import actions, scanner
crash_after = int(os.environ.get("CRASH_AFTER_FIRINGS", "0"))
if crash_after:
    done = []
    real = actions.perform
    def perform(*args):
        result = real(*args)
        done.append(1)
        if len(done) >= crash_after:
            os._exit(17)  # killed mid-transaction: nothing of this batch may survive
        return result
    actions.perform = perform
taken = 0
while True:
    batch = scanner.tick(batch_size=int(os.environ.get("BATCH", "5")), max_rounds=1)
    taken += batch
    if not batch:
        break
print("TAKEN", taken)
"""


def in_thread(fn):
    result, errors = {}, []

    def run():
        try:
            result["value"] = fn()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result.get("value")


def _seed(schema="alpha", rules=RULES):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import User
    from incidents.services import create_incident
    from sla import services
    from sla.models import Calendar, Clock, EscalationRule, Metric, Policy

    with schema_context(schema):
        agent = User.objects.create_user(f"sla-probe@{schema}.test", None, full_name="SLA Probe", role=User.Role.AGENT)
        policy = Policy.objects.create(name="Process probe", order=99_999, is_active=False)
        for threshold, action in rules:
            rule = EscalationRule.objects.create(policy=policy, metric=Metric.RESOLUTION, threshold=threshold, action=action)
            if action == "add_watchers":
                rule.users.add(agent)
        calendar = Calendar.objects.get(is_24x7=True)
        now = timezone.now()
        ids, clocks = [], []
        for n in range(CLOCKS):
            incident = create_incident(by=agent, title=f"Process probe {n}")
            ids.append(incident.pk)
            clocks.append(Clock(ticket_type="incidents.incident", ticket_id=incident.pk, metric=Metric.RESOLUTION,
                                policy=policy, calendar=calendar, priority=incident.priority,
                                target_seconds=3600, started_at=now - timedelta(hours=2)))
        for c in clocks:
            services.rearm(c, now=now - timedelta(hours=2), fired_rule_ids=set())
        Clock.objects.bulk_create(clocks)
        services.sync_due(clocks)
        return {"agent": agent.pk, "policy": policy.pk, "incidents": ids, "schema": schema}


def _count(probe):
    from incidents.models import Incident
    from sla.models import Firing
    from tickets.models import TimelineEntry

    with schema_context(probe["schema"]):
        firings = list(Firing.objects.filter(clock__policy_id=probe["policy"]).values_list("clock_id", "rule_id"))
        entries = TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id__in=probe["incidents"],
                                               data__sla__event="escalation").count()
        priorities = sorted(set(Incident.objects.filter(pk__in=probe["incidents"]).values_list("priority", flat=True)))
        watched = Incident.objects.filter(pk__in=probe["incidents"], watchers=probe["agent"]).count()
        return {"firings": len(firings), "distinct": len(set(firings)), "entries": entries,
                "priorities": priorities, "watched": watched}


def _cleanup(probe):
    from accounts.models import User
    from incidents.models import Incident
    from sla.due.models import DueClock
    from sla.models import Clock, Policy
    from tickets.models import TimelineEntry

    with schema_context(probe["schema"]):
        clock_ids = list(Clock.objects.filter(policy_id=probe["policy"]).values_list("pk", flat=True))
        Clock.objects.filter(pk__in=clock_ids).delete()
        Policy.objects.filter(pk=probe["policy"]).delete()
        TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id__in=probe["incidents"]).delete()
        Incident.objects.filter(pk__in=probe["incidents"]).delete()
        User.objects.filter(pk=probe["agent"]).delete()
    DueClock.objects.filter(schema_name=probe["schema"], clock_id__in=clock_ids).delete()


def run_tickers(count, **extra_env):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "itsm.settings_test", "DATABASE_URL": worker_database_url(),
           "LOG_LEVEL": "WARNING", **extra_env}
    procs = [subprocess.Popen([sys.executable, "-c", TICKER], cwd=BASE_DIR, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(count)]
    return [(p.wait(timeout=120), *p.communicate()) for p in procs]


@pytest.fixture
def probe(db):
    seeded = in_thread(_seed)
    yield seeded
    in_thread(lambda: _cleanup(seeded))


def expected_once(probe):
    return {"firings": CLOCKS * len(RULES), "distinct": CLOCKS * len(RULES), "entries": CLOCKS * len(RULES),
            "priorities": [4], "watched": CLOCKS}


def test_two_workers_ticking_at_once_fire_each_escalation_once(probe):
    results = run_tickers(2)
    for code, out, err in results:
        assert code == 0, err
    taken = [int(out.split("TAKEN")[1]) for _, out, _ in results]
    assert sum(taken) >= CLOCKS  # each due row was taken by one of them (a re-armed row may be taken again)
    assert in_thread(lambda: _count(probe)) == expected_once(probe)


def test_a_worker_killed_mid_batch_leaves_nothing_half_done(probe):
    [(code, _, _)] = run_tickers(1, CRASH_AFTER_FIRINGS="7", BATCH="5")
    assert code == 17
    after_crash = in_thread(lambda: _count(probe))
    # Killed at the 7th firing, inside its first batch (5 clocks x 3 rules): nothing of that batch survives.
    assert after_crash == {"firings": 0, "distinct": 0, "entries": 0, "priorities": [5], "watched": 0}
    [(code, _, err)] = run_tickers(1)
    assert code == 0, err
    assert in_thread(lambda: _count(probe)) == expected_once(probe)


NOTIFY_RULES = ((75, "notify_assignee"), (90, "notify_group"))


@pytest.fixture
def notify_probes(db):
    """Alpha and beta, each with CLOCKS clocks due at both notify rules: the set-based path, one group."""
    seeded = [in_thread(lambda schema=schema: _seed(schema, NOTIFY_RULES)) for schema in ("alpha", "beta")]
    yield seeded
    for each in seeded:
        in_thread(lambda each=each: _cleanup(each))


def test_a_worker_killed_in_the_middle_of_a_group_of_tenants_leaves_nothing_and_is_redone_once(notify_probes):
    once = {"firings": CLOCKS * len(NOTIFY_RULES), "distinct": CLOCKS * len(NOTIFY_RULES),
            "entries": CLOCKS * len(NOTIFY_RULES), "priorities": [5], "watched": 0}
    # Killed at the first firing of the second tenant: the first tenant's work was done, in the same transaction.
    [(code, _, _)] = run_tickers(1, CRASH_AFTER_FIRINGS=str(CLOCKS * len(NOTIFY_RULES) + 1), BATCH="500")
    assert code == 17
    for each in notify_probes:
        assert in_thread(lambda each=each: _count(each)) == {**once, "firings": 0, "distinct": 0, "entries": 0}
    [(code, _, err)] = run_tickers(1, BATCH="500")
    assert code == 0, err
    [(code, out, err)] = run_tickers(1, BATCH="500")  # nothing left to do, nothing fires again
    assert code == 0 and "TAKEN 0" in out, err
    for each in notify_probes:
        assert in_thread(lambda each=each: _count(each)) == once


def test_a_ticket_being_saved_is_skipped_not_waited_for(probe):
    """Lock order is ticket -> clock -> due row; the tick already holds due rows, so it must not wait for a ticket."""
    import time

    from django.db import transaction

    locked, release, done = threading.Event(), threading.Event(), threading.Event()

    def agent_saving():
        from incidents.models import Incident

        try:
            with schema_context("alpha"), transaction.atomic():
                Incident.objects.select_for_update().get(pk=probe["incidents"][0])
                locked.set()
                release.wait(timeout=60)
        finally:
            connection.close()
            done.set()

    holder = threading.Thread(target=agent_saving)
    holder.start()
    assert locked.wait(timeout=30)
    try:
        started = time.monotonic()
        [(code, _, err)] = run_tickers(1, BATCH="100")
        assert code == 0, err
        assert time.monotonic() - started < 60
        counts = in_thread(lambda: _count(probe))
        assert counts["firings"] == (CLOCKS - 1) * len(RULES)  # all but the locked ticket's
    finally:
        release.set()
        holder.join()
    from sla.scanner import BUSY_DELAY

    time.sleep(BUSY_DELAY.total_seconds() + 0.5)  # the skipped clock was put back for a few seconds
    [(code, _, err)] = run_tickers(1)
    assert code == 0, err
    assert in_thread(lambda: _count(probe)) == expected_once(probe)


def _add_sibling(probe):
    """Incident 0 also gets a response clock, due in a day, with P4 targets that differ from its own: a raised
    priority re-targets it, so the escalation's ticket write must touch that clock and its due row."""
    from datetime import timedelta

    from django.utils import timezone

    from sla import services
    from sla.models import Calendar, Clock, Metric, Target

    with schema_context("alpha"):
        calendar = Calendar.objects.get(is_24x7=True)
        Target.objects.bulk_create([
            Target(policy_id=probe["policy"], metric=Metric.RESOLUTION, priority=4, duration_seconds=3600, calendar=calendar),
            Target(policy_id=probe["policy"], metric=Metric.RESPONSE, priority=4, duration_seconds=2 * 86400,
                   calendar=calendar)])
        sibling = Clock(ticket_type="incidents.incident", ticket_id=probe["incidents"][0], metric=Metric.RESPONSE,
                        policy_id=probe["policy"], calendar=calendar, priority=5, target_seconds=86400,
                        started_at=timezone.now() - timedelta(minutes=1))
        services.rearm(sibling, now=timezone.now(), fired_rule_ids=set())
        sibling.save()
        services.sync_due([sibling])
        return sibling.pk


@pytest.mark.parametrize("held", ["clock", "due row"])
def test_a_sibling_clock_held_by_another_worker_makes_the_ticket_busy_not_a_wait(probe, held):
    """A raised priority re-targets every clock of the ticket. Another worker's tick may hold one of them (or
    its due row) while it waits for nothing; the tick must skip the ticket, not wait (workers holding
    what the other waits for would deadlock)."""
    import time

    from django.db import transaction

    sibling = in_thread(lambda: _add_sibling(probe))
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        from sla.due.models import DueClock
        from sla.models import Clock

        try:
            with schema_context("alpha"), transaction.atomic():
                if held == "clock":
                    Clock.objects.select_for_update().get(pk=sibling)
                else:
                    DueClock.objects.select_for_update().get(schema_name="alpha", clock_id=sibling)
                locked.set()
                release.wait(timeout=300)  # longer than run_tickers waits: a tick that waited would time out
        finally:
            connection.close()

    holder = threading.Thread(target=other_worker)
    holder.start()
    assert locked.wait(timeout=30)
    try:
        [(code, _, err)] = run_tickers(1, BATCH="100")
        assert code == 0, err
        assert holder.is_alive()  # the tick finished while the other worker still held the row
        counts = in_thread(lambda: _count(probe))
        assert counts["firings"] == (CLOCKS - 1) * len(RULES)  # all but the ticket whose sibling is held
    finally:
        release.set()
        holder.join()
    from sla.scanner import BUSY_DELAY

    time.sleep(BUSY_DELAY.total_seconds() + 0.5)
    [(code, _, err)] = run_tickers(1)
    assert code == 0, err
    assert in_thread(lambda: _count(probe)) == expected_once(probe)

    def sibling_target():
        from sla.models import Clock

        with schema_context("alpha"):
            return Clock.objects.values_list("priority", "target_seconds").get(pk=sibling)

    assert in_thread(sibling_target) == (4, 2 * 86400)  # re-targeted by the raised priority
