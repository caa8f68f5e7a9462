"""A tick over many tenants: groups of tenants per transaction, set-based firing, one mail message per tick."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from sla import actions, scanner, tasks
from sla.due.models import DueClock, PendingMail
from sla.models import Firing, Metric
from tests.factories import AgentFactory, make_incident
from tests.sla.conftest import office_hours
from tests.sla.test_clocks import HOUR, at, clock, local
from tickets.models import TimelineEntry

R = Metric.RESOLUTION
OPENED, WARNED = local(2026, 11, 30, 9, 0), local(2026, 11, 30, 12, 5)  # 75% of 4 office hours: 12:00


def escalations(incident):
    return list(TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=incident.pk,
                                             data__sla__event="escalation").values_list("data__sla__threshold", "data__sla__action"))


@pytest.fixture
def messages(monkeypatch):
    """The ``send_escalation_mail`` messages sent (each still delivered: Celery is eager in tests)."""
    sent = []
    real = tasks.send_escalation_mail.delay

    def delay(batch):
        sent.append({schema: sorted(ids) for schema, ids in batch.items()})
        return real(batch)

    monkeypatch.setattr(tasks.send_escalation_mail, "delay", delay)
    return sent


@pytest.fixture
def two_tenants(tenant, other_tenant, make_policy):
    """Each tenant: its own sender address, an assignee, 4 office hours with a 75% notify rule.

    Beta's id sequences are set to alpha's, so both tenants' clocks and firings share ids: any row
    written into the wrong schema, or mail looked up there, would find a row and show.
    """
    with connection.cursor() as cursor:
        for table in ("sla_clock", "sla_firing", "tickets_timelineentry"):
            sequences = [f"pg_get_serial_sequence('{schema}.{table}', 'id')" for schema in ("alpha", "beta")]
            cursor.execute(f"SELECT greatest(nextval({sequences[0]}), nextval({sequences[1]}))")
            top = cursor.fetchone()[0]
            for sequence in sequences:
                cursor.execute(f"SELECT setval({sequence}, %s)", [top])
    tenants = {}
    for each in (tenant, other_tenant):
        type(each).objects.filter(pk=each.pk).update(support_email=f"desk@{each.schema_name}.test")
        with schema_context(each.schema_name):
            agent = AgentFactory(email=f"agent@{each.schema_name}.test")
            make_policy(office_hours(), targets={(R, 5): 4 * HOUR}, escalations=[(R, 75, "notify_assignee")])
            tenants[each.schema_name] = agent
    connection.set_tenant(tenant)
    return tenants


def _incidents(schema, agent, count, opened=OPENED):
    with schema_context(schema), at(opened):
        return [make_incident(by=agent, assignee=agent, title=f"{schema} {n}") for n in range(count)]


def _tick(tenant, moment, **options):
    with at(moment):
        done = scanner.tick(**options)
    connection.set_tenant(tenant)
    return done


def test_one_tick_fires_many_tenants_in_one_transaction_and_one_message(tenant, other_tenant, two_tenants, messages,
                                                                       django_capture_on_commit_callbacks):
    ours = _incidents("alpha", two_tenants["alpha"], 3)
    theirs = _incidents("beta", two_tenants["beta"], 2)
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as captured:
        assert _tick(tenant, WARNED) == 5
    # Savepoints stand for transactions here: the lost-mail probe's, then one for both tenants.
    assert sum(q["sql"].startswith("SAVEPOINT") for q in captured.captured_queries) == 2
    assert all(escalations(i) == [(75, "notify_assignee")] for i in ours)
    alpha_firings = sorted(Firing.objects.values_list("pk", flat=True))
    with schema_context("beta"):
        assert all(escalations(i) == [(75, "notify_assignee")] for i in theirs)
        beta_firings = sorted(Firing.objects.values_list("pk", flat=True))
        assert all(f.notified_at for f in Firing.objects.all())
    assert messages == [{"alpha": alpha_firings, "beta": beta_firings}]  # one message for the whole tick
    sent = sorted((m.from_email, m.to[0]) for m in mail.outbox if "SLA" in m.subject)
    assert sent == [("desk@alpha.test", "agent@alpha.test")] * 3 + [("desk@beta.test", "agent@beta.test")] * 2
    assert not PendingMail.objects.exists()
    # Every clock re-armed in its own tenant's due row: the breach is next, at 13:00.
    for schema, incidents in (("alpha", ours), ("beta", theirs)):
        with schema_context(schema):
            for incident in incidents:
                assert DueClock.objects.get(schema_name=schema, clock_id=clock(incident).pk).due_at == local(2026, 11, 30, 13, 0)


def test_a_tenants_firings_entries_and_mail_never_land_in_another_schema(tenant, other_tenant, two_tenants,
                                                                        messages, django_capture_on_commit_callbacks):
    [ours] = _incidents("alpha", two_tenants["alpha"], 1)
    [theirs] = _incidents("beta", two_tenants["beta"], 1)
    with schema_context("beta"):
        beta_clock = clock(theirs).pk
    assert clock(ours).pk == beta_clock  # the same ids in both schemas (see the fixture)
    _tick(tenant, WARNED)  # the after-commit mail never runs: the outbox keeps both
    alpha_firing = Firing.objects.get()
    with schema_context("beta"):
        beta_firing = Firing.objects.get()
        assert beta_firing.clock.ticket_id == theirs.pk
        assert list(TimelineEntry.objects.filter(data__sla__event="escalation").values_list("ticket_id", "data__sla__firing_id")) \
            == [(theirs.pk, beta_firing.pk)]
    assert alpha_firing.clock.ticket_id == ours.pk
    assert list(TimelineEntry.objects.filter(data__sla__event="escalation").values_list("ticket_id", "data__sla__firing_id")) \
        == [(ours.pk, alpha_firing.pk)]
    assert sorted(PendingMail.objects.values_list("schema_name", "firing_id")) == [("alpha", alpha_firing.pk),
                                                                                  ("beta", beta_firing.pk)]
    # The re-sent batch mails each tenant's firing from its own schema, to its own people.
    with django_capture_on_commit_callbacks(execute=True):
        _tick(tenant, WARNED + actions.RESEND_AFTER)
    assert messages == [{"alpha": [alpha_firing.pk], "beta": [beta_firing.pk]}]
    sent = sorted((m.from_email, m.to[0], m.subject.split("]")[0]) for m in mail.outbox if "SLA" in m.subject)
    assert sent == [("desk@alpha.test", "agent@alpha.test", f"[{ours.number}"),
                    ("desk@beta.test", "agent@beta.test", f"[{theirs.number}")]


def test_a_batch_naming_a_deleted_tenant_mails_only_the_others(tenant, two_tenants):
    [ours] = _incidents("alpha", two_tenants["alpha"], 1)
    _tick(tenant, WARNED)
    firing = Firing.objects.get()
    assert tasks.send_escalation_mail.run({"no_such_tenant": [firing.pk], "alpha": [firing.pk]}) == 1
    assert [m.to for m in mail.outbox if "SLA" in m.subject] == [["agent@alpha.test"]]


def test_a_failure_in_the_middle_of_a_group_rolls_it_back_and_is_redone_once(tenant, other_tenant, two_tenants,
                                                                             messages, monkeypatch,
                                                                             django_capture_on_commit_callbacks):
    # Alpha's fall due a minute earlier, so the group reaches beta after alpha's work.
    ours = _incidents("alpha", two_tenants["alpha"], 2, opened=OPENED - timedelta(minutes=1))
    theirs = _incidents("beta", two_tenants["beta"], 2)
    real_perform = actions.perform
    performed = []

    def perform(rule, firing, clock_, ticket):
        performed.append(connection.schema_name)
        if ticket.title == "beta 1":
            raise RuntimeError("worker died half-way")
        return real_perform(rule, firing, clock_, ticket)

    monkeypatch.setattr(actions, "perform", perform)
    monkeypatch.setattr(scanner.random, "randrange", lambda n: 0)  # the tenants in due order
    with django_capture_on_commit_callbacks(execute=True):
        assert _tick(tenant, WARNED) == 3  # the failing clock is not counted
    # The group failed in beta after alpha's work and was rolled back whole; each tenant was then
    # redone alone (alpha in one transaction, beta clock by clock after its chunk failed too).
    assert performed[:3] == ["alpha", "alpha", "beta"]
    assert performed.count("alpha") == 4
    assert all(escalations(i) == [(75, "notify_assignee")] for i in ours)
    alpha_firings = sorted(Firing.objects.values_list("pk", flat=True))
    assert len(alpha_firings) == 2
    with schema_context("beta"):
        assert escalations(theirs[0]) == [(75, "notify_assignee")]
        assert escalations(theirs[1]) == []  # its firing and entry rolled back with it
        beta_first = sorted(Firing.objects.values_list("pk", flat=True))
        failed = clock(theirs[1]).pk
    assert DueClock.objects.get(schema_name="beta", clock_id=failed).due_at == WARNED + scanner.RETRY_DELAY
    assert messages == [{"alpha": alpha_firings, "beta": beta_first}]  # committed work only, once

    monkeypatch.setattr(actions, "perform", real_perform)
    with django_capture_on_commit_callbacks(execute=True):
        assert _tick(tenant, WARNED + scanner.RETRY_DELAY) == 1
    assert Firing.objects.count() == 2  # alpha's did not fire again
    with schema_context("beta"):
        assert all(escalations(i) == [(75, "notify_assignee")] for i in theirs)
        assert Firing.objects.count() == 2
        beta_second = sorted(set(Firing.objects.values_list("pk", flat=True)) - set(beta_first))
    assert messages[1:] == [{"beta": beta_second}]
    assert len([m for m in mail.outbox if "SLA" in m.subject]) == 4  # each firing mailed once


def test_groups_are_bounded_by_group_tenants(tenant, other_tenant, two_tenants, django_capture_on_commit_callbacks):
    _incidents("alpha", two_tenants["alpha"], 1)
    _incidents("beta", two_tenants["beta"], 1)
    with CaptureQueriesContext(connection) as captured:
        assert _tick(tenant, WARNED, group_tenants=1) == 2
    assert sum(q["sql"].startswith("SAVEPOINT") for q in captured.captured_queries) == 3  # probe + one per tenant


def _tenant_statements(queries: list[str], schema: str) -> list[str]:
    """The statements run with the search path on ``schema`` (up to the next SET search_path)."""
    inside, picked = False, []
    for sql in queries:
        if sql.startswith("SET search_path"):
            inside = sql.startswith(f"SET search_path = '{schema}'") or sql.startswith(f'SET search_path = "{schema}"')
            continue
        if inside:
            picked.append(sql)
    return picked


@pytest.mark.parametrize("per_tenant", [1, 4])
def test_a_burst_costs_a_fixed_number_of_statements_per_tenant(tenant, other_tenant, two_tenants, per_tenant):
    _incidents("alpha", two_tenants["alpha"], per_tenant)
    _incidents("beta", two_tenants["beta"], per_tenant)
    with CaptureQueriesContext(connection) as captured:
        assert _tick(tenant, WARNED) == 2 * per_tenant
    queries = [q["sql"] for q in captured.captured_queries]
    entered = [q for q in queries if q.startswith("SET search_path") and ("alpha" in q or "beta" in q)]
    assert len(entered) == 2  # each tenant's schema entered once
    first, last = [("alpha", "beta") if "alpha" in entered[0] else ("beta", "alpha")][0]
    # Per tenant: lock its clocks (with their fired rules), lock its tickets, insert its firings.
    assert [sql.split()[0] for sql in _tenant_statements(queries, first)] == ["SELECT", "SELECT", "INSERT"]
    tail = _tenant_statements(queries, last)
    assert [sql.split()[0] for sql in tail[:3]] == ["SELECT", "SELECT", "INSERT"]
    # Then, once for the group: both tenants' timeline entries and clock updates in one round trip
    # (each naming its schema), the due rows (one upsert), the outbox rows, and the commit.
    batch, due, outbox = tail[3:6]
    assert [part.split(" ", 3)[:3] for part in batch.split(";\n")] == [
        ["INSERT", "INTO", f'"{first}"."tickets_timelineentry"'], ["UPDATE", f'"{first}"."sla_clock"', "AS"],
        ["INSERT", "INTO", f'"{last}"."tickets_timelineentry"'], ["UPDATE", f'"{last}"."sla_clock"', "AS"]]
    assert due.startswith('INSERT INTO "sla_due_dueclock"') and outbox.startswith('INSERT INTO "sla_due_pendingmail"')
    assert [sql.split()[0] for sql in tail[6:]] == ["RELEASE"]
