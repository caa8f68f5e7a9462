"""Mail follows what a transition means in the type's workflow (resolves, closes, reopens), not state names."""

from types import SimpleNamespace

import pytest
from django.core import mail

from incidents import services as incident_services
from incidents.workflow import WORKFLOW as INCIDENT_WORKFLOW
from tests.factories import make_incident
from tickets import events, notifications
from tickets.workflow import CLOSES, REOPENS, REQUESTER, RESOLVES, T, Workflow

# A fulfilment-like type: its work ends in "fulfilled"; it also has a state literally named
# "resolved" that, in this workflow, means nothing of the sort (a sign-off step still open).
FULFILMENT = Workflow(
    initial="requested",
    states={"requested": "Requested", "resolved": "Sign-off", "fulfilled": "Fulfilled", "archived": "Archived"},
    open_states=frozenset({"requested", "resolved"}),
    resolved=frozenset({"fulfilled"}),
    closed=frozenset({"archived"}),
    transitions=(
        T("sign_off", {"requested"}, "resolved"),
        T("fulfil", {"requested", "resolved"}, "fulfilled"),
        T("return", {"fulfilled"}, "requested", roles={REQUESTER}),
        T("archive", {"fulfilled"}, "archived"),
    ),
)


class FulfilmentTicket:
    """Enough of a ticket for the listeners: its type's workflow, its label and who is on it."""

    workflow = FULFILMENT
    _meta = SimpleNamespace(label_lower="tests.fulfilment")

    def __init__(self, *, assignee_id=None):
        self.pk = 41
        self.assignee_id = assignee_id


@pytest.fixture
def enqueued(monkeypatch):
    sent = []
    from tickets import tasks

    monkeypatch.setattr(tasks.send_ticket_notification, "delay", lambda *args, **kwargs: sent.append(args[2]))
    return sent


def moved(ticket, source, target, actor=None):
    return events.TicketEvent(events.TRANSITIONED, ticket, actor, {"action": "x", "from": source, "to": target})


@pytest.mark.parametrize("source, target, meaning", [
    ("requested", "fulfilled", RESOLVES),
    ("resolved", "fulfilled", RESOLVES),
    ("fulfilled", "archived", CLOSES),
    ("fulfilled", "requested", REOPENS),
    ("requested", "resolved", ""),  # named "resolved", declared as nothing
])
def test_the_workflow_says_what_a_move_means(source, target, meaning):
    assert FULFILMENT.meaning(source, target) == meaning


@pytest.mark.parametrize("action, meaning", [
    ("start", ""), ("hold", ""), ("resolve", RESOLVES), ("reopen", REOPENS), ("close", CLOSES), ("cancel", ""),
])
def test_incidents_declare_their_meanings(action, meaning):
    step = INCIDENT_WORKFLOW.by_name[action]
    assert {INCIDENT_WORKFLOW.meaning(source, step.target) for source in step.sources} == {meaning}


def test_a_type_whose_resolving_state_has_another_name_mails_its_requester(enqueued):
    notifications.on_transitioned(moved(FulfilmentTicket(), "requested", "fulfilled"))
    assert enqueued == ["resolved"]


def test_a_state_merely_named_resolved_sends_no_resolution_mail(enqueued):
    notifications.on_transitioned(moved(FulfilmentTicket(), "requested", "resolved"))
    notifications.on_transitioned(moved(FulfilmentTicket(), "fulfilled", "archived"))
    assert enqueued == []


def test_reopening_tells_the_assignee_unless_they_reopened_it(enqueued):
    assignee = SimpleNamespace(pk=7)
    notifications.on_transitioned(moved(FulfilmentTicket(assignee_id=7), "fulfilled", "requested", actor=SimpleNamespace(pk=3)))
    notifications.on_transitioned(moved(FulfilmentTicket(assignee_id=7), "fulfilled", "requested", actor=assignee))
    notifications.on_transitioned(moved(FulfilmentTicket(), "fulfilled", "requested", actor=SimpleNamespace(pk=3)))
    assert enqueued == ["reopened"]


def test_incident_resolution_and_reopening_send_their_mails(tenant, requester, agent, django_capture_on_commit_callbacks):
    incident = make_incident(by=requester)
    incident = incident_services.update_incident(incident, by=agent, changes={"assignee": agent})
    incident = incident_services.transition_incident(incident, "start", by=agent)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_services.transition_incident(
            incident, "resolve", by=agent, fields={"resolution_code": "solved_remotely", "resolution_notes": "Done"})
    assert [(m.to, m.subject) for m in mail.outbox] == [([requester.email], f"[{incident.number}] Resolved: {incident.title}")]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_services.transition_incident(incident, "reopen", by=requester)
    assert [(m.to, m.subject) for m in mail.outbox] == [([agent.email], f"[{incident.number}] Reopened: {incident.title}")]
    assert "has been reopened" in mail.outbox[0].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_services.transition_incident(
            incident, "resolve", by=agent, fields={"resolution_code": "solved_remotely", "resolution_notes": "Again"})
        incident_services.transition_incident(incident, "close", by=agent)
    assert [m.subject.split("]")[1].strip().split(":")[0] for m in mail.outbox] == ["Resolved"]  # closing mails nobody


@pytest.mark.parametrize("declaration", [
    {"resolved": frozenset({"done"})},
    {"resolved": frozenset({"new"})},
])
def test_a_meaning_must_name_a_declared_state_that_is_not_open(declaration):
    with pytest.raises(ValueError):
        Workflow(initial="new", states={"new": "New", "closed": "Closed"}, open_states=frozenset({"new"}),
                 transitions=(T("close", {"new"}, "closed"),), **declaration)
