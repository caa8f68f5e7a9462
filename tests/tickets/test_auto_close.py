"""Auto-close is a system actor's transition through tickets.services, for any type that declares it."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from incidents import services as incident_services
from incidents.models import Incident
from incidents.workflow import WORKFLOW as INCIDENT_WORKFLOW
from tests.factories import AgentFactory, make_incident
from tickets import events, tasks
from tickets.models import TimelineEntry
from tickets.services import SystemActor
from tickets.workflow import AGENT, T, Workflow
from tickets.write_guard import direct_writes

RESOLVE = {"resolution_code": "solved_remotely", "resolution_notes": "Done"}


def resolved_days_ago(incident, agent, days):
    incident = incident_services.transition_incident(incident, "resolve", by=agent, fields=RESOLVE)
    with direct_writes("test set-up: resolved in the past"):
        Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now() - timedelta(days=days))
    return incident


@pytest.fixture
def published(monkeypatch):
    seen = []
    real = events.publish
    monkeypatch.setattr(events, "publish", lambda event: (seen.append(event), real(event))[1])
    return seen


def test_auto_close_is_a_transition_by_the_system_with_its_reason_and_event(tenant, requester, agent, published):
    incident = resolved_days_ago(make_incident(by=requester), agent, tenant.auto_close_days + 1)
    version = Incident.objects.get(pk=incident.pk).version
    published.clear()
    assert incident_services.auto_close_resolved() == 1
    incident.refresh_from_db()
    assert (incident.state, incident.version, incident.closed_at is not None) == ("closed", version + 1, True)
    entry = TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=incident.pk).latest("id")
    assert (entry.kind, entry.author, entry.is_public) == ("transition", None, True)
    assert entry.body == f"Closed automatically {tenant.auto_close_days} days after resolution."
    assert entry.data == {"action": "close", "from": "resolved", "to": "closed", "fields": {},
                          "automatic": True, "source": "auto_close"}
    [event] = [e for e in published if e.name == events.TRANSITIONED]
    assert (event.actor, event.ticket.pk, event.data["to"]) == (SystemActor("auto_close"), incident.pk, "closed")


def test_auto_close_leaves_recent_reopened_and_open_tickets_and_runs_twice_safely(tenant, requester, agent):
    old = resolved_days_ago(make_incident(by=requester), agent, 30)
    fresh = resolved_days_ago(make_incident(by=requester), agent, 1)
    reopened = resolved_days_ago(make_incident(by=requester), agent, 30)
    incident_services.transition_incident(reopened, "reopen", by=agent)
    still_open = make_incident(by=requester)
    assert incident_services.auto_close_resolved() == 1
    assert incident_services.auto_close_resolved() == 0
    states = dict(Incident.objects.filter(pk__in=[old.pk, fresh.pk, reopened.pk, still_open.pk]).values_list("pk", "state"))
    assert states == {old.pk: "closed", fresh.pk: "resolved", reopened.pk: "in_progress", still_open.pk: "new"}


def test_a_ticket_locked_by_someone_else_is_skipped_not_waited_for(tenant):
    """Another connection holds the ticket (an agent saving it); auto-close passes it by and takes it next time."""
    locked, release, done, failures = threading.Event(), threading.Event(), threading.Event(), []
    created = {}

    def commit_an_old_resolved_incident():
        try:
            connection.set_tenant(tenant)
            user = AgentFactory(email="autoclose-lock@example.test")
            incident = resolved_days_ago(make_incident(by=user), user, 30)
            created.update(user=user, incident=incident)
        finally:
            connections.close_all()

    def hold_the_lock():
        try:
            connection.set_tenant(tenant)
            with transaction.atomic():
                Incident.objects.select_for_update().get(pk=created["incident"].pk)
                locked.set()
                release.wait(timeout=60)
        except Exception as exc:  # surfaced below
            failures.append(exc)
        finally:
            connections.close_all()
            done.set()

    setup = threading.Thread(target=commit_an_old_resolved_incident)
    setup.start(); setup.join()
    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        assert incident_services.auto_close_resolved() == 0
        assert Incident.objects.get(pk=created["incident"].pk).state == "resolved"
    finally:
        release.set()
        holder.join()
    assert not failures

    def close_again_and_clean_up():  # on its own connection: the set-up committed outside the test's transaction
        try:
            connection.set_tenant(tenant)
            created["closed_next_time"] = incident_services.auto_close_resolved()
            with direct_writes("test clean-up"):
                TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=created["incident"].pk).delete()
                Incident.objects.filter(pk=created["incident"].pk).delete()
                created["user"].delete()
        finally:
            connections.close_all()

    cleaner = threading.Thread(target=close_again_and_clean_up)
    cleaner.start(); cleaner.join()
    assert created["closed_next_time"] == 1
    assert not Incident.objects.filter(pk=created["incident"].pk).exists()


def test_the_task_closes_every_type_that_declares_auto_close(tenant, requester, agent):
    old = resolved_days_ago(make_incident(by=requester), agent, 30)
    assert tasks.auto_close.apply(kwargs={"tenant": tenant.schema_name}).result == 1
    assert Incident.objects.get(pk=old.pk).state == "closed"
    assert tasks.auto_close.apply(kwargs={"tenant": "beta"}).result == 0  # refuses a tenant its schema is not


def test_a_workflow_without_auto_close_is_left_alone(tenant, requester, agent, monkeypatch):
    from dataclasses import replace

    old = resolved_days_ago(make_incident(by=requester), agent, 30)
    monkeypatch.setattr(Incident, "workflow", replace(INCIDENT_WORKFLOW, auto_close=""))
    assert incident_services.auto_close_resolved() == 0
    assert Incident.objects.get(pk=old.pk).state == "resolved"


@pytest.mark.parametrize("declaration, message", [
    ({"auto_close": "archive"}, "undeclared transition"),
    ({"auto_close": "close", "transitions": (T("close", {"done"}, "closed", requires=("closing_note",)),)},
     "requires no fields"),
    ({"auto_close": "close", "stamps": {}}, "without a stamp"),
])
def test_an_auto_close_declaration_that_cannot_work_is_refused(declaration, message):
    base = {"initial": "new", "states": {"new": "New", "done": "Done", "closed": "Closed"},
            "transitions": (T("finish", {"new"}, "done"), T("close", {"done"}, "closed", roles={AGENT})),
            "open_states": frozenset({"new"}), "stamps": {"done": "resolved_at"}}
    with pytest.raises(ValueError, match=message):
        Workflow(**{**base, **declaration})
