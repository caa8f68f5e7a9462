"""The engine through its services: every stage kind, quorum, skips, rules, rejection, info, cancel, the guard, events."""

import dataclasses

import pytest

from approvals import events as approval_events_module
from approvals import services
from approvals.guard import approved
from approvals.models import Approval
from core.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from incidents.models import Incident
from incidents.services import add_reply
from tests.approvals.conftest import approval_events, pending_requests, request_of
from tests.factories import AgentFactory, GroupFactory, RequesterFactory, make_incident
from tickets import events, guards, services as ticket_services
from tickets.models import TimelineEntry


def test_a_manager_stage_asks_the_requesters_manager_and_approves(ticket, employee, manager, make_chain):
    chain = make_chain({"kind": "manager", "name": "Manager approval"})
    approval = services.start_approval(ticket, chain, by=employee)
    [request] = pending_requests(approval)
    assert request.approver == manager
    assert approved(ticket) == "Waiting for approval: stage 1 of 1, Manager approval."
    services.decide(request, by=manager, decision="approve", via="portal")
    approval.refresh_from_db()
    assert approval.state == "approved"
    assert approved(ticket) is None
    assert approval_events(ticket) == ["requested", "stage_started", "approved", "stage_approved", "approved"]


def test_a_user_stage_then_a_group_any_stage(ticket, employee, finance, make_chain):
    boss = AgentFactory(full_name="Bea Boss")
    chain = make_chain({"kind": "user", "user": boss, "name": "Boss"},
                       {"kind": "group", "group": finance, "group_mode": "any", "name": "Finance"})
    approval = services.start_approval(ticket, chain, by=employee)
    services.decide(request_of(approval, boss), by=boss, decision="approve", via="api")
    assert approved(ticket) == "Waiting for approval: stage 2 of 2, Finance."
    members = list(finance.members.order_by("pk"))
    assert {r.approver for r in pending_requests(approval)} == set(members)
    services.decide(request_of(approval, members[1]), by=members[1], decision="approve", via="desk")
    approval.refresh_from_db()
    assert approval.state == "approved"
    assert not pending_requests(approval)  # the others' requests are closed
    with pytest.raises(InvalidTransition, match="already approved"):
        services.decide(approval.stages.get(order=2).requests.get(approver=members[0]), by=members[0],
                        decision="approve", via="desk")


def test_a_group_all_stage_needs_every_member(ticket, employee, finance, make_chain):
    approval = services.start_approval(ticket, make_chain({"kind": "group", "group": finance, "group_mode": "all"}),
                                       by=employee)
    members = list(finance.members.order_by("pk"))
    for person in members[:2]:
        services.decide(request_of(approval, person), by=person, decision="approve", via="portal")
        approval.refresh_from_db()
        assert approval.state == "pending"
    services.decide(request_of(approval, members[2]), by=members[2], decision="approve", via="portal")
    approval.refresh_from_db()
    assert approval.state == "approved"


def test_a_quorum_stage_needs_n_approvals(ticket, employee, finance, make_chain):
    approval = services.start_approval(
        ticket, make_chain({"kind": "group", "group": finance, "group_mode": "quorum", "quorum": 2}), by=employee)
    stage = approval.stages.get()
    assert stage.required == 2
    first, second, third = finance.members.order_by("pk")
    services.decide(request_of(approval, first), by=first, decision="approve", via="api")
    assert Approval.objects.get(pk=approval.pk).state == "pending"
    services.decide(request_of(approval, third), by=third, decision="approve", via="api")
    assert Approval.objects.get(pk=approval.pk).state == "approved"
    assert stage.requests.get(approver=second).state == "closed"


def test_one_rejection_rejects_the_chain_with_its_reason(ticket, employee, finance, make_chain):
    later = AgentFactory()
    chain = make_chain({"kind": "group", "group": finance, "group_mode": "all", "name": "Finance"},
                       {"kind": "user", "user": later, "name": "Later"})
    approval = services.start_approval(ticket, chain, by=employee)
    person = finance.members.first()
    with pytest.raises(ValidationFailed) as refused:
        services.decide(request_of(approval, person), by=person, decision="reject", via="portal")
    assert refused.value.fields == {"comment": ["Give the reason for the rejection."]}
    services.decide(request_of(approval, person), by=person, decision="reject", comment="Over budget", via="portal")
    approval.refresh_from_db()
    assert approval.state == "rejected" and approval.reason == "Over budget"
    assert approved(ticket) == "The approval was rejected: Over budget."
    assert list(approval.stages.values_list("state", flat=True)) == ["rejected", "cancelled"]


def test_rule_and_skip_conditions_read_the_tickets_facts(tenant, employee, manager, finance, make_chain):
    chain = make_chain(
        {"kind": "manager", "name": "Manager", "skip_condition": {"all": [{"fact": "priority", "op": "eq", "value": 5}]}},
        {"kind": "rule", "name": "Finance if urgent", "group": finance,
         "rule_condition": {"any": [{"fact": "urgency", "op": "lte", "value": 1}]}},
    )
    low = make_incident(by=employee, requester=employee)  # P5: skipped; urgency 3: rule does not hold
    approval = services.start_approval(low, chain, by=employee)
    assert approval.state == "approved"  # every stage skipped: approved at once
    assert list(approval.stages.values_list("state", flat=True)) == ["skipped", "skipped"]
    assert approved(low) is None
    urgent = make_incident(by=employee, requester=employee, urgency=1, impact=1)
    approval = services.start_approval(urgent, chain, by=employee)
    assert approved(urgent) == "Waiting for approval: stage 1 of 2, Manager."
    services.decide(request_of(approval, manager), by=manager, decision="approve", via="portal")
    assert approved(urgent) == "Waiting for approval: stage 2 of 2, Finance if urgent."


def test_registered_subject_facts_are_what_rules_read(tenant, employee, finance, make_chain):
    from approvals import subjects

    subjects.register(Incident, facts=lambda t: {"price": 1500 if "laptop" in t.title else 10},
                      summary=lambda t: [("Price", "1500")])
    try:
        chain = make_chain({"kind": "rule", "group": finance, "rule_condition": {"fact": "price", "op": "gt", "value": 1000}})
        cheap = services.start_approval(make_incident(by=employee, title="mouse"), chain, by=employee)
        dear = services.start_approval(make_incident(by=employee, title="laptop"), chain, by=employee)
        assert cheap.state == "approved" and dear.state == "pending"
        assert subjects.summary_for(make_incident(by=employee)) == [("Price", "1500")]
    finally:
        subjects.unregister(Incident)


def test_a_stage_with_nobody_to_ask_fails_the_callers_write_whole(tenant, make_chain, agent):
    orphan = RequesterFactory(manager=None)
    chain = make_chain({"kind": "manager", "name": "Manager"})
    ticket = make_incident(by=orphan)
    with pytest.raises(ValidationFailed, match=r"Stage 1 \(Manager\) cannot start: .* has no manager"):
        services.start_approval(ticket, chain, by=orphan)
    assert not Approval.objects.exists()
    assert not TimelineEntry.objects.filter(kind="approval").exists()
    empty = GroupFactory(name="Empty")
    with pytest.raises(ValidationFailed, match="the group Empty has no active members"):
        services.start_approval(ticket, make_chain({"kind": "group", "group": empty}, name="Empty"), by=orphan)
    assert not Approval.objects.exists()


def test_one_approval_at_a_time_and_inactive_chains_refused(ticket, employee, make_chain):
    chain = make_chain({"kind": "manager"})
    services.start_approval(ticket, chain, by=employee)
    with pytest.raises(InvalidTransition, match="already has an approval under way"):
        services.start_approval(ticket, chain, by=employee)
    chain.is_active = False
    chain.save()
    with pytest.raises(ValidationFailed, match="is not active"):
        services.start_approval(make_incident(by=employee), chain, by=employee)


def test_deciding_what_is_not_yours_is_refused_and_writes_nothing(ticket, employee, manager, make_chain):
    approval = services.start_approval(ticket, make_chain({"kind": "manager"}), by=employee)
    [request] = pending_requests(approval)
    stranger = RequesterFactory()
    before = TimelineEntry.objects.count()
    with pytest.raises(NotPermitted, match="not yours to decide"):
        services.decide(request, by=stranger, decision="approve", via="api")
    with pytest.raises(ValidationFailed) as bad:
        services.decide(request, by=manager, decision="maybe", via="pigeon")
    assert set(bad.value.fields) == {"decision", "via"}
    assert TimelineEntry.objects.count() == before
    request.refresh_from_db()
    assert request.state == "pending"


def test_a_double_click_approves_once(ticket, employee, manager, make_chain):
    approval = services.start_approval(ticket, make_chain({"kind": "manager"}, {"kind": "user", "user": manager}),
                                       by=employee)
    [request] = pending_requests(approval)
    services.decide(request, by=manager, decision="approve", via="portal")
    with pytest.raises(InvalidTransition, match="already approved"):
        services.decide(request, by=manager, decision="approve", via="portal")
    # The same person at stage 2 is a new request; the old one does not advance it.
    assert approval.stages.get(order=2).state == "pending"
    assert approval_events(ticket).count("stage_approved") == 1


def test_asking_for_information_and_the_requesters_reply(ticket, employee, manager, make_chain, agent):
    approval = services.start_approval(ticket, make_chain({"kind": "manager"}), by=employee)
    [request] = pending_requests(approval)
    services.decide(request, by=manager, decision="info", comment="Which model exactly?", via="email")
    request.refresh_from_db()
    assert request.state == "info"
    question = TimelineEntry.objects.filter(kind="approval", data__approval__event="info_requested").get()
    assert question.is_public and "Which model exactly?" in question.body
    add_reply(ticket, by=agent, body="An agent's reply is no answer")
    request.refresh_from_db()
    assert request.state == "info"
    add_reply(ticket, by=employee, body="The 14 inch one")
    request.refresh_from_db()
    assert request.state == "pending"
    services.decide(request, by=manager, decision="approve", via="portal")
    assert Approval.objects.get(pk=approval.pk).state == "approved"
    assert [d.decision for d in request.decisions.all()] == ["info", "approve"]


def test_cancel(ticket, employee, manager, make_chain, agent):
    approval = services.start_approval(ticket, make_chain({"kind": "manager"}), by=employee)
    with pytest.raises(ValidationFailed):
        services.cancel_approval(ticket, by=agent, reason=" ")
    with pytest.raises(NotPermitted):
        services.cancel_approval(ticket, by=RequesterFactory(), reason="Not mine")
    services.cancel_approval(ticket, by=agent, reason="Ordered twice")
    approval.refresh_from_db()
    assert approval.state == "cancelled"
    assert approved(ticket) == "The approval was cancelled: Ordered twice."
    assert not pending_requests(approval)
    with pytest.raises(InvalidTransition, match="no approval under way"):
        services.cancel_approval(ticket, by=agent, reason="Again")


def test_no_approval_yet(ticket):
    assert approved(ticket) == "No approval has been requested."


def test_events_are_published_inside_the_transaction_on_the_locked_ticket(ticket, employee, manager, make_chain):
    seen = []

    def listener(event):
        seen.append((event.name, event.data["stage"], event.data["stage_name"], event.ticket.pk,
                     ticket_services.transaction.get_connection().in_atomic_block))

    for name in (approval_events_module.STAGE_STARTED, approval_events_module.APPROVED,
                 approval_events_module.REJECTED, approval_events_module.INFO_REQUESTED):
        events.subscribe_in_transaction(name)(listener)
    try:
        approval = services.start_approval(ticket, make_chain({"kind": "manager", "name": "Mgr"}), by=employee)
        services.decide(pending_requests(approval)[0], by=manager, decision="info", comment="Why?", via="api")
        services.decide(request_of(approval, manager), by=manager, decision="approve", via="api")
    finally:
        for name in list(events._in_transaction):
            if listener in events._in_transaction[name]:
                events._in_transaction[name].remove(listener)
    assert [s[:3] for s in seen] == [("approval_stage_started", 1, "Mgr"), ("approval_info_requested", 1, "Mgr"),
                                     ("approval_approved", None, "")]
    assert all(s[3] == ticket.pk and s[4] for s in seen)


def test_the_guard_holds_a_guarded_transition_until_approved(ticket, employee, manager, make_chain, agent, monkeypatch):
    workflow = Incident.workflow
    transitions = tuple(dataclasses.replace(t, guards=("approved",)) if t.name == "start" else t
                        for t in workflow.transitions)
    monkeypatch.setattr(Incident, "workflow", dataclasses.replace(workflow, transitions=transitions))
    with pytest.raises(InvalidTransition, match="No approval has been requested."):
        ticket_services.transition(ticket, "start", by=agent)
    approval = services.start_approval(ticket, make_chain({"kind": "manager", "name": "Line manager"}), by=employee)
    with pytest.raises(InvalidTransition, match="Waiting for approval: stage 1 of 1, Line manager."):
        ticket_services.transition(ticket, "start", by=agent)
    services.decide(pending_requests(approval)[0], by=manager, decision="approve", via="portal")
    assert ticket_services.transition(ticket, "start", by=agent).state == "in_progress"
    assert guards._GUARDS["approved"] is approved


def test_a_listener_can_move_the_ticket_in_the_same_transaction(ticket, employee, manager, make_chain, agent):
    def start_when_approved(event):
        ticket_services.transition(event.ticket, "start", by=agent)

    events.subscribe_in_transaction(approval_events_module.APPROVED)(start_when_approved)
    try:
        approval = services.start_approval(ticket, make_chain({"kind": "manager"}), by=employee)
        services.decide(pending_requests(approval)[0], by=manager, decision="approve", via="portal")
    finally:
        events._in_transaction[approval_events_module.APPROVED].remove(start_when_approved)
    assert Incident.objects.get(pk=ticket.pk).state == "in_progress"


def test_a_later_stage_with_nobody_to_ask_is_refused_when_the_chain_starts(tenant, make_chain, agent):
    orphan = RequesterFactory(full_name="Olga Orphan", manager=None)
    chain = make_chain({"kind": "user", "user": agent, "name": "IT"}, {"kind": "manager", "name": "Manager"})
    with pytest.raises(ValidationFailed, match=r"Stage 2 \(Manager\) cannot start: Olga Orphan has no manager"):
        services.start_approval(make_incident(by=orphan), chain, by=orphan)
    assert not Approval.objects.exists()
    # Unless the ticket's facts skip that stage.
    skipping = make_chain({"kind": "user", "user": agent}, {"kind": "manager", "skip_condition": {
        "fact": "priority", "op": "eq", "value": 5}}, name="Skips the manager for P5")
    assert services.start_approval(make_incident(by=orphan), skipping, by=orphan).state == "pending"
