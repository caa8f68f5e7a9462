"""Problem management on the ticket platform: the workflow's guards, known errors, workarounds and
resolving the incidents a problem explains."""

import pytest

from core.exceptions import NotPermitted, ValidationFailed
from incidents.models import Incident
from problems import links, services
from problems.models import Problem
from tests.factories import make_incident, make_problem, problem_to
from tickets import types
from tickets.models import Category, TicketLink, TimelineEntry


def entries(ticket):
    return list(TimelineEntry.objects.filter(ticket_type=ticket._meta.label_lower, ticket_id=ticket.pk).order_by("id"))


def snapshot(ticket):
    fresh = type(ticket).objects.get(pk=ticket.pk)
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields if f.name != "updated_at"}


def test_a_problem_is_a_registered_ticket_type_with_its_own_numbers(tenant, agent):
    problem = make_problem(by=agent, affected_service="Printing")
    assert problem.number.startswith("PRB") and problem.state == "new"
    assert types.for_number(problem.number).model is Problem
    assert [e.kind for e in entries(problem)] == ["created"]


def test_leaving_root_cause_analysis_needs_a_root_cause_and_changes_nothing_without_one(tenant, agent):
    problem = problem_to(make_problem(by=agent), "root_cause_analysis", by=agent)
    before = snapshot(problem)
    with pytest.raises(ValidationFailed) as refused:
        services.transition_problem(problem, "start_fix", by=agent, fields={"root_cause": "  "})
    assert "root_cause" in refused.value.fields
    assert snapshot(problem) == before
    problem = services.transition_problem(problem, "start_fix", by=agent, fields={"root_cause": "Lease too short"})
    assert problem.state == "fix_in_progress" and problem.root_cause == "Lease too short"


def test_a_root_cause_recorded_earlier_lets_the_fix_start(tenant, agent):
    problem = problem_to(make_problem(by=agent), "root_cause_analysis", by=agent)
    services.ticket_services.update_ticket(problem, by=agent, changes={"root_cause": "Firmware bug"})
    problem = services.transition_problem(Problem.objects.get(pk=problem.pk), "start_fix", by=agent)
    assert problem.state == "fix_in_progress"


def test_resolving_needs_a_resolution(tenant, agent):
    problem = problem_to(make_problem(by=agent), "fix_in_progress", by=agent)
    with pytest.raises(ValidationFailed) as refused:
        services.transition_problem(problem, "resolve", by=agent, fields={"resolution_notes": "Done"})
    assert set(refused.value.fields) == {"resolution_code"}
    assert Problem.objects.get(pk=problem.pk).state == "fix_in_progress"


def test_publishing_a_known_error_needs_a_workaround(tenant, agent):
    problem = make_problem(by=agent)
    before = snapshot(problem)
    with pytest.raises(ValidationFailed) as refused:
        services.publish_known_error(problem, by=agent)
    assert "workaround" in refused.value.fields
    assert snapshot(problem) == before and len(entries(problem)) == 1


def test_publish_and_retire_a_known_error_are_on_the_timeline(tenant, agent):
    problem = make_problem(by=agent, workaround="Power-cycle the printer.")
    problem = services.publish_known_error(problem, by=agent)
    assert problem.is_known_error
    change = entries(problem)[-1]
    assert change.kind == "field_change" and change.data["changes"][0]["field"] == "known_error_published_at"
    with pytest.raises(ValidationFailed):
        services.publish_known_error(problem, by=agent)
    problem = services.retire_known_error(problem, by=agent)
    assert not problem.is_known_error
    with pytest.raises(ValidationFailed):
        services.retire_known_error(problem, by=agent)


def test_requesters_cannot_publish_known_errors(tenant, agent, requester):
    problem = make_problem(by=agent, requester=requester, workaround="Restart")
    with pytest.raises(NotPermitted):
        services.publish_known_error(problem, by=requester)


def test_the_problem_link_fits_problems_to_incidents_only(tenant, agent):
    problem = make_problem(by=agent)
    incident = make_incident(by=agent)
    links.link(problem, incident, by=agent)
    assert [p.pk for p in links.problems_of(incident)] == [problem.pk]
    for source, target in ((incident, problem), (problem, make_problem(by=agent))):
        with pytest.raises(ValidationFailed) as refused:
            links.link(source, target, by=agent)
        assert "kind" in refused.value.fields
    assert TicketLink.objects.count() == 1


def test_apply_workaround_as_reply_or_work_note(tenant, agent, requester):
    problem = make_problem(by=agent, workaround="Hold the power button for ten seconds.")
    incident = make_incident(by=requester)
    links.link(problem, incident, by=agent)  # linked: the workaround applies before it is published
    reply = services.apply_workaround(problem, incident, by=agent, as_work_note=False)
    note = services.apply_workaround(problem, incident, by=agent, as_work_note=True)
    assert (reply.kind, reply.is_public) == ("reply", True)
    assert (note.kind, note.is_public) == ("work_note", False)
    assert "Hold the power button" in reply.body and problem.number in reply.body


def test_apply_workaround_is_refused_from_an_unrelated_unpublished_problem_or_to_a_closed_incident(tenant, agent):
    problem = make_problem(by=agent, workaround="Restart the spooler.")
    incident = make_incident(by=agent)
    with pytest.raises(ValidationFailed) as refused:
        services.apply_workaround(problem, incident, by=agent, as_work_note=False)
    assert "problem" in refused.value.fields
    problem = services.publish_known_error(problem, by=agent)
    closed = make_incident(by=agent)
    services.ticket_services.transition(closed, "cancel", by=agent, fields={"cancel_reason": "Raised twice"})
    with pytest.raises(ValidationFailed) as refused:
        services.apply_workaround(problem, Incident.objects.get(pk=closed.pk), by=agent, as_work_note=False)
    assert "number" in refused.value.fields
    assert [e.kind for e in entries(closed)] == ["created", "transition"]


def test_resolving_a_problem_resolves_its_linked_open_incidents_through_their_services(tenant, agent, requester):
    problem = problem_to(make_problem(by=agent), "fix_in_progress", by=agent)
    first, second, done = (make_incident(by=requester, title=f"Printer {n}") for n in range(3))
    services.ticket_services.transition(done, "cancel", by=agent, fields={"cancel_reason": "Duplicate"})
    for incident in (first, second, done):
        links.link(problem, incident, by=agent)
    problem = services.transition_problem(problem, "resolve", by=agent, resolve_incidents=True,
                                          incident_note="Fixed by raising the lease time.",
                                          fields={"resolution_code": "fixed", "resolution_notes": "Lease raised"})
    assert problem.state == "resolved"
    for incident in (first, second):
        fresh = Incident.objects.get(pk=incident.pk)
        assert (fresh.state, fresh.resolution_code) == ("resolved", "resolved_by_problem")
        assert fresh.resolution_notes == "Fixed by raising the lease time."
        assert entries(fresh)[-1].data["to"] == "resolved"
    assert Incident.objects.get(pk=done.pk).state == "cancelled"


def test_resolving_without_the_option_leaves_the_incidents_alone(tenant, agent):
    problem = problem_to(make_problem(by=agent), "fix_in_progress", by=agent)
    incident = make_incident(by=agent)
    links.link(problem, incident, by=agent)
    services.transition_problem(problem, "resolve", by=agent,
                                fields={"resolution_code": "fixed", "resolution_notes": "Lease raised"})
    assert Incident.objects.get(pk=incident.pk).state == "new"


def test_an_incident_that_cannot_be_resolved_leaves_everything_as_it_was(tenant, agent, monkeypatch):
    problem = problem_to(make_problem(by=agent), "fix_in_progress", by=agent)
    first, second = make_incident(by=agent, title="First"), make_incident(by=agent, title="Second")
    for incident in (first, second):
        links.link(problem, incident, by=agent)
    incident_type = types.for_model(Incident)
    real = incident_type.resolve_with_note

    def refuse_second(ticket, *, by, note):
        if ticket.pk == second.pk:
            raise ValidationFailed("No.", fields={"resolution_notes": ["Refused for the test."]})
        return real(ticket, by=by, note=note)

    monkeypatch.setattr(incident_type, "resolve_with_note", refuse_second)
    before = [snapshot(t) for t in (problem, first, second)]
    with pytest.raises(ValidationFailed) as refused:
        services.transition_problem(problem, "resolve", by=agent, resolve_incidents=True,
                                    fields={"resolution_code": "fixed", "resolution_notes": "Lease raised"})
    assert second.number in refused.value.fields["resolve_incidents"][0]
    assert [snapshot(t) for t in (problem, first, second)] == before


def test_known_errors_are_per_tenant(tenant, other_tenant, agent, in_other_tenant):
    from django_tenants.utils import schema_context

    from problems.queries import known_errors

    services.publish_known_error(make_problem(by=agent, workaround="Restart"), by=agent)
    assert known_errors().count() == 1
    with schema_context(other_tenant.schema_name):
        assert known_errors().count() == 0


def test_known_errors_match_an_incident_by_category(tenant, agent):
    from problems.queries import known_errors_for_category

    printers, vpn = Category.objects.create(name="Printers"), Category.objects.create(name="VPN")
    published = services.publish_known_error(make_problem(by=agent, category=printers, workaround="Restart"), by=agent)
    make_problem(by=agent, category=printers, workaround="Unpublished")
    assert [p.pk for p in known_errors_for_category(printers.pk)] == [published.pk]
    assert not known_errors_for_category(vpn.pk).exists()
