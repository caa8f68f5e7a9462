"""Escalations change tickets through the ticket services, and a breach is never erased.

End to end through the beat tick: a raised priority re-targets the clocks, reassignments and
watchers leave the same trail as anyone's edit, a refusal writes nothing, and a clock that
breached stays breached (API, compliance, badge and panel) when a later re-target moves its
deadline out.
"""

import importlib
import re

import pytest
from django.core import mail
from django.db.models import F

from incidents.models import Incident
from incidents.services import transition_incident, update_incident
from sla import actions, metrics, scanner
from sla.due.models import DueClock
from sla.models import Clock, Firing, Metric
from sla.queries import status_of
from sla.templatetags.sla_tags import sla_badge_text
from tests.api.helpers import api_client
from tests.factories import AgentFactory, GroupFactory, make_incident
from tests.sla.conftest import local
from tests.sla.test_clocks import HOUR, at, clock, tick
from tickets import events
from tickets.models import Category, Priority, TimelineEntry
from tickets.services import SystemActor

R, FR = Metric.RESOLUTION, Metric.RESPONSE
RESOLVE = {"resolution_code": "solved_permanently", "resolution_notes": "Fixed"}


@pytest.fixture
def published(monkeypatch):
    """Every UPDATED and ASSIGNED event, as the in-transaction listeners receive it."""
    seen = []
    monkeypatch.setattr(events, "_in_transaction", {**events._in_transaction})
    for name in (events.UPDATED, events.ASSIGNED):
        monkeypatch.setitem(events._in_transaction, name, [*events._in_transaction.get(name, []), seen.append])
    return seen


def field_changes(incident):
    return list(TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=incident.pk,
                                             kind=TimelineEntry.Kind.FIELD_CHANGE).order_by("id"))


def escalation_notes(incident):
    return list(TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=incident.pk,
                                             data__sla__event="escalation").values_list("body", flat=True))


def due_at(tenant, clock_):
    return DueClock.objects.get(schema_name=tenant.schema_name, clock_id=clock_.pk).due_at


def panel_clock(html: str, metric: str) -> str:
    match = re.search(rf'<div class="sla-clock" data-sla="{metric}">(.*?)</progress>', html, re.S)
    assert match, f"no {metric} clock in the SLA panel"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match[1])).strip()


# -- (1) raise priority -------------------------------------------------------------------------

@pytest.fixture
def raising(office, make_policy):
    """P5: resolution 8h, response 6h; P4: 6h and 3h. Half the resolution target raises the priority."""
    return make_policy(office, targets={(R, 5): 8 * HOUR, (R, 4): 6 * HOUR, (FR, 5): 6 * HOUR, (FR, 4): 3 * HOUR},
                       escalations=[(R, 50, "raise_priority")])


def test_a_raised_priority_retargets_every_clock_and_a_later_edit_leaves_them(tenant, agent, raising, published,
                                                                               make_client):
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent)
    assert (incident.priority, clock(incident).deadline) == (5, local(2026, 11, 30, 17, 0))
    tick(tenant, local(2026, 11, 30, 13, 0))  # 50% of 8h

    incident.refresh_from_db()
    assert incident.priority == 4 and incident.version == 2
    [change] = field_changes(incident)
    assert change.author is None and change.data["source"] == "sla"  # "System" on the timeline
    assert change.data["changes"] == [{"field": "priority", "label": "Priority", "old": Priority(5).label,
                                       "new": Priority(4).label}]
    [note] = escalation_notes(incident)
    assert "priority raised from P5 - Planning to P4 - Low" in note
    [event] = [e for e in published if e.name == events.UPDATED]
    assert event.actor == SystemActor("sla") and event.data["fields"] == ["priority"]

    # The resolution clock follows P4 from the open time: 09:00 + 6h; the response clock too (09:00 + 3h).
    resolution, response = clock(incident), clock(incident, FR)
    assert (resolution.priority, resolution.target_seconds, resolution.deadline) == (4, 6 * HOUR, local(2026, 11, 30, 15, 0))
    assert (response.priority, response.target_seconds, response.deadline) == (4, 3 * HOUR, local(2026, 11, 30, 12, 0))
    assert due_at(tenant, resolution) == local(2026, 11, 30, 15, 0)  # 50% of 6h is past and fired: the breach is next
    assert resolution.firings.count() == 1
    # The response clock's new deadline was already past: the same tick's next round marked the breach.
    assert response.breached_at == response.first_breached_at == local(2026, 11, 30, 12, 0)
    assert not DueClock.objects.filter(schema_name=tenant.schema_name, clock_id=response.pk).exists()

    with at(local(2026, 11, 30, 13, 30)):  # an unrelated edit: nothing about the SLA moves
        update_incident(incident, by=agent, changes={"category": Category.objects.create(name="Printers")})
    resolution = clock(incident)
    assert (resolution.priority, resolution.target_seconds, resolution.deadline) == (4, 6 * HOUR, local(2026, 11, 30, 15, 0))
    with at(local(2026, 11, 30, 13, 30)):
        html = make_client(tenant, agent).get(f"/desk/incidents/{incident.number}/").content.decode()
    assert "Target 6h · P4 · Office hours" in panel_clock(html, R)
    assert resolution.firings.count() == 1


def test_raising_a_p1_changes_nothing_and_says_so(tenant, agent, office, make_policy, published):
    make_policy(office, targets={(R, 1): 4 * HOUR}, escalations=[(R, 50, "raise_priority")])
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent, impact=1, urgency=1)
    tick(tenant, local(2026, 11, 30, 11, 0))
    assert escalation_notes(incident) == ["SLA warning: 50% of the resolution target used: priority already at its highest."]
    assert field_changes(incident) == [] and published == []
    assert Incident.objects.get(pk=incident.pk).version == 1


def test_only_the_system_actor_sets_priority_directly(tenant, agent):
    from core.exceptions import ValidationFailed

    incident = make_incident(by=agent)
    with pytest.raises(ValidationFailed) as refused:
        update_incident(incident, by=agent, changes={"priority": 1})
    assert list(refused.value.fields) == ["priority"]
    assert Incident.objects.get(pk=incident.pk).priority == 5
    raised = update_incident(incident, by=SystemActor("test"), changes={"priority": 2}, expected_version=1)
    assert (raised.priority, raised.version) == (2, 2)
    assert field_changes(incident)[0].data["source"] == "test"


# -- (2) a breach is kept -------------------------------------------------------------------------

@pytest.fixture
def breached_then_lowered(tenant, agent, office, make_policy):
    """A P3 incident (1h) breached at 10:00, then lowered to P5 (8h from the open time: due 17:00) at 11:00."""
    make_policy(office, targets={(R, 3): HOUR, (R, 5): 8 * HOUR})
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent, impact=2, urgency=2)
    tick(tenant, local(2026, 11, 30, 10, 5))
    assert clock(incident).breached_at == local(2026, 11, 30, 10, 0)
    with at(local(2026, 11, 30, 11, 0)):
        incident = update_incident(incident, by=agent, changes={"impact": 3, "urgency": 3})
    return incident


def test_a_breach_survives_a_retarget_and_a_resolution_in_time(tenant, agent, breached_then_lowered, make_client):
    incident = breached_then_lowered
    moved = clock(incident)
    assert moved.deadline == local(2026, 11, 30, 17, 0)
    assert moved.breached_at is None and moved.first_breached_at == local(2026, 11, 30, 10, 0)
    note = TimelineEntry.objects.filter(ticket_id=incident.pk, data__sla__event="recomputed").get()
    assert note.body.endswith("It was breached earlier; that stays on record.") and note.data["sla"]["breached_earlier"]
    with at(local(2026, 11, 30, 11, 0)):
        running = status_of(moved)
    assert (running.tone, sla_badge_text(running)) == ("breached", "6h left · breached earlier")

    with at(local(2026, 11, 30, 12, 0)):
        transition_incident(incident, "resolve", by=agent, fields=RESOLVE)
    resolved = clock(incident)
    assert resolved.outcome == Clock.Outcome.MET and resolved.first_breached_at == local(2026, 11, 30, 10, 0)
    stopped = TimelineEntry.objects.filter(ticket_id=incident.pk, data__sla__event="stopped").get()
    assert "breached earlier" in stopped.body and stopped.data["sla"]["breached"] is True

    with at(local(2026, 11, 30, 12, 30)):
        api = api_client(tenant, agent)
        [row] = api.get("/api/v1/sla/clocks/", {"ticket": incident.number}).json()["results"]
        report = api.get("/api/v1/sla/compliance/", {"start": "2026-11-01", "end": "2026-12-01",
                                                     "group_by": "metric"}).json()
        html = make_client(tenant, agent).get(f"/desk/incidents/{incident.number}/").content.decode()
    assert (row["outcome"], row["breached"], row["breached_earlier"], row["tone"]) == ("met", True, True, "breached")
    assert row["breached_at"] is None and row["first_breached_at"] == "2026-11-30T09:00:00Z"
    assert [(r["key"], r["met"], r["breached"], r["compliance_percent"]) for r in report["rows"]] == [(R, 0, 1, 0.0)]
    assert metrics.compliance(start=local(2026, 11, 1, 0, 0), end=local(2026, 12, 1, 0, 0))[0]["breached"] == 1
    panel = panel_clock(html, R)
    assert "Met after re-target, breached earlier" in panel
    assert "Breached Mon 30 Nov 2026, 09:00 UTC (before a re-target moved the deadline; the breach stays on record)" in panel
    badge = re.search(r'<span class="sla sla-(\w+)" data-sla="resolution"[^>]*>(.*?)</span></span>', html, re.S)
    assert badge[1] == "breached" and "Met after re-target, breached earlier" in badge[2]


def test_a_resolved_clock_that_never_breached_is_still_plainly_met(tenant, agent, office, make_policy):
    make_policy(office, targets={(R, 3): HOUR, (R, 5): 8 * HOUR})
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent, impact=2, urgency=2)
    with at(local(2026, 11, 30, 9, 30)):
        incident = update_incident(incident, by=agent, changes={"impact": 3, "urgency": 3})
    with at(local(2026, 11, 30, 12, 0)):
        transition_incident(incident, "resolve", by=agent, fields=RESOLVE)
        status = status_of(clock(incident))
    assert clock(incident).first_breached_at is None
    assert (status.tone, sla_badge_text(status)) == ("met", "Met")
    row = metrics.compliance(start=local(2026, 11, 1, 0, 0), end=local(2026, 12, 1, 0, 0))[0]
    assert (row["met"], row["breached"]) == (1, 0)


def test_a_deadline_that_passed_before_the_tick_noticed_is_still_a_breach(tenant, agent, office, make_policy):
    make_policy(office, targets={(R, 3): HOUR, (R, 5): 8 * HOUR})
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent, impact=2, urgency=2)
    with at(local(2026, 11, 30, 11, 0)):  # no tick ran since 10:00 (the beat was down)
        update_incident(incident, by=agent, changes={"impact": 3, "urgency": 3})
    moved = clock(incident)
    assert moved.deadline == local(2026, 11, 30, 17, 0)
    assert (moved.breached_at, moved.first_breached_at) == (None, local(2026, 11, 30, 10, 0))


def test_a_second_breach_keeps_the_first_one(tenant, agent, breached_then_lowered):
    tick(tenant, local(2026, 11, 30, 17, 1))
    again = clock(breached_then_lowered)
    assert again.breached_at == local(2026, 11, 30, 17, 0)
    assert again.first_breached_at == local(2026, 11, 30, 10, 0)
    assert not again.breached_earlier  # breached now, not only before


def test_compliance_with_running_clocks_counts_a_kept_breach(tenant, agent, breached_then_lowered):
    scope = dict(start=local(2026, 11, 1, 0, 0), end=local(2026, 12, 1, 0, 0))
    assert metrics.compliance(**scope) == []  # nothing stopped yet
    [row] = metrics.compliance(include_running=True, **scope)
    assert (row["met"], row["breached"]) == (0, 1)
    [by_period] = metrics.compliance(include_running=True, group_by="period", time_zone="Europe/Berlin", **scope)
    assert by_period["label"] == "November 2026"


def test_the_migration_recovers_breaches_a_retarget_had_erased(tenant, agent, breached_then_lowered):
    from django.apps import apps

    backfill = importlib.import_module("sla.migrations.0003_clock_first_breached_at").backfill
    Clock.objects.update(first_breached_at=None)  # as the rows were before the field existed
    never = make_incident(by=agent, title="Never breached")
    backfill(apps, None)
    # The tick's breach note of 10:05 is the best moment the history still holds.
    assert clock(breached_then_lowered).first_breached_at == local(2026, 11, 30, 10, 5)
    assert not Clock.objects.filter(ticket_id=never.pk, first_breached_at__isnull=False).exists()


def test_beta_sees_nothing_of_alphas_kept_breach(tenant, agent, breached_then_lowered, other_tenant, in_other_tenant):
    with in_other_tenant():
        beta_agent = AgentFactory()
        rows = api_client(other_tenant, beta_agent).get("/api/v1/sla/clocks/").json()["results"]
        assert rows == []
        assert metrics.compliance(start=local(2026, 11, 1, 0, 0), end=local(2026, 12, 1, 0, 0),
                                  include_running=True) == []


# -- (3) reassign and add watchers ------------------------------------------------------------------

@pytest.fixture
def handover(tenant, office, make_policy):
    second_line = GroupFactory(name="Second line")
    expert, watcher = AgentFactory(full_name="Erin Expert"), AgentFactory(full_name="Walt Watcher")
    second_line.members.add(expert)
    make_policy(office, targets={(R, 5): 4 * HOUR, (FR, 5): 4 * HOUR}, escalations=[
        (R, 50, "reassign", {"group": second_line, "assignee": expert}),
        (R, 75, "add_watchers", {"users": [watcher]}),
    ])
    return second_line, expert, watcher


def test_reassign_and_add_watchers_go_through_the_ticket_services(tenant, agent, handover, published,
                                                                   django_capture_on_commit_callbacks):
    second_line, expert, watcher = handover
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent, assignee=agent)
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tick(tenant, local(2026, 11, 30, 11, 0))
    incident.refresh_from_db()
    assert (incident.assignment_group, incident.assignee, incident.version) == (second_line, expert, 2)
    [change] = field_changes(incident)
    assert change.author is None and change.data["source"] == "sla"
    assert {c["field"]: c["new"] for c in change.data["changes"]} == {"assignment_group": "Second line",
                                                                      "assignee": "Erin Expert"}
    assert [(e.name, e.actor) for e in published] == [(events.UPDATED, SystemActor("sla")),
                                                      (events.ASSIGNED, SystemActor("sla"))]
    # The SLA listener saw the change: both clocks now report under the new group.
    assert {c.assignment_group_id for c in Clock.objects.filter(ticket_id=incident.pk)} == {second_line.pk}
    assert [m.to for m in mail.outbox if incident.number in m.subject] == [[expert.email]]  # the assignment mail

    published.clear()
    tick(tenant, local(2026, 11, 30, 12, 0))
    assert list(incident.watchers.all()) == [watcher]
    watchers_change = field_changes(incident)[-1]
    assert watchers_change.author is None and watchers_change.data["changes"][0]["new"] == "Walt Watcher"
    [event] = published
    assert (event.name, event.actor, event.data["fields"]) == (events.UPDATED, SystemActor("sla"), ["watchers"])
    assert [body.split("used: ", 1)[1] for body in escalation_notes(incident)] == [
        "reassigned from — / " + str(agent) + " to Second line / Erin Expert.", "added watchers Walt Watcher."]


def test_a_reassignment_the_services_refuse_is_recorded_as_refused(tenant, agent, office, make_policy, published):
    group, outsider = GroupFactory(name="Network"), AgentFactory(full_name="Olga Outsider")
    make_policy(office, targets={(R, 5): 4 * HOUR},
                escalations=[(R, 50, "reassign", {"group": group, "assignee": outsider})])
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent)
    published.clear()
    tick(tenant, local(2026, 11, 30, 11, 0))
    incident.refresh_from_db()
    assert (incident.assignment_group, incident.version) == (None, 1)
    assert field_changes(incident) == [] and published == []
    assert escalation_notes(incident) == [
        "SLA warning: 50% of the resolution target used: not reassigned to Network / Olga Outsider: "
        "Olga Outsider is not a member of Network.."]
    assert clock(incident).firings.count() == 1  # a refusal on the merits is the outcome: it is not retried
    tick(tenant, local(2026, 11, 30, 11, 30))
    assert len(escalation_notes(incident)) == 1


# -- (4) a refusal writes nothing and is retried ------------------------------------------------------

def assert_nothing_written(tenant, incident, moment):
    incident.refresh_from_db()
    assert (incident.priority, incident.version) == (5, 1)
    assert field_changes(incident) == [] and escalation_notes(incident) == []
    assert not Firing.objects.filter(clock=clock(incident)).exists()
    assert clock(incident).target_seconds == 8 * HOUR
    assert due_at(tenant, clock(incident)) == moment + scanner.RETRY_DELAY


def test_a_stale_version_rolls_the_firing_back_and_the_next_tick_retries(tenant, agent, raising, monkeypatch):
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent)
    real_perform = actions.perform

    def behind_the_ticks_back(rule, firing, clock_, ticket):
        # As if someone had saved the ticket after the tick read it: the service must refuse the tick's version.
        Incident.objects.filter(pk=ticket.pk).update(version=F("version") + 1)
        return real_perform(rule, firing, clock_, ticket)

    monkeypatch.setattr(actions, "perform", behind_the_ticks_back)
    tick(tenant, local(2026, 11, 30, 13, 0))
    assert_nothing_written(tenant, incident, local(2026, 11, 30, 13, 0))
    monkeypatch.setattr(actions, "perform", real_perform)
    tick(tenant, local(2026, 11, 30, 13, 5))
    incident.refresh_from_db()
    assert (incident.priority, clock(incident).target_seconds, clock(incident).firings.count()) == (4, 6 * HOUR, 1)


def test_a_failing_listener_rolls_the_firing_back_and_the_next_tick_retries(tenant, agent, raising, monkeypatch):
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent)
    listeners = {**events._in_transaction}
    monkeypatch.setattr(events, "_in_transaction", listeners)

    def broken(event):
        raise RuntimeError("an integration's listener failed")

    monkeypatch.setitem(listeners, events.UPDATED, [*listeners.get(events.UPDATED, []), broken])
    tick(tenant, local(2026, 11, 30, 13, 0))
    assert_nothing_written(tenant, incident, local(2026, 11, 30, 13, 0))
    monkeypatch.setitem(listeners, events.UPDATED, [fn for fn in listeners[events.UPDATED] if fn is not broken])
    tick(tenant, local(2026, 11, 30, 13, 5))
    assert Incident.objects.get(pk=incident.pk).priority == 4
    assert len(escalation_notes(incident)) == 1


def test_the_openapi_schema_documents_the_kept_breach(tmp_path):
    import json

    from django.core.management import call_command

    call_command("spectacular", "--format", "openapi-json", "--file", str(tmp_path / "schema.json"))
    clock_schema = json.loads((tmp_path / "schema.json").read_text())["components"]["schemas"]["Clock"]
    properties = clock_schema["properties"]
    assert "never cleared" in properties["first_breached_at"]["description"]
    assert properties["breached_earlier"]["type"] == "boolean" and "re-target" in properties["breached_earlier"]["description"]
    assert "at some point was" in properties["breached"]["description"]
    assert "A breach is never erased" in clock_schema["description"]
