import threading

import pytest
from django.core import mail
from django.db import connection

from core.exceptions import InvalidTransition, NotPermitted, StaleVersion, ValidationFailed
from incidents import hierarchy, services
from incidents.models import Incident
from tests.factories import AgentFactory, RequesterFactory, make_incident
from tickets.models import TimelineEntry
from tickets.write_guard import direct_writes


def timeline(incident):
    return list(TimelineEntry.objects.filter(ticket_id=incident.pk, ticket_type="incidents.incident").order_by("id"))


def test_create_numbers_prioritises_and_records(tenant, requester):
    incident = make_incident(by=requester, impact=1, urgency=2, description="**bold** <script>alert(1)</script>")
    assert incident.number.startswith("INC") and len(incident.number) == 10
    assert incident.state == "new"
    assert incident.priority == 2
    assert "<strong>bold</strong>" in incident.description_html
    assert "<script>" not in incident.description_html
    entries = timeline(incident)
    assert [e.kind for e in entries] == ["created"]
    assert entries[0].is_public


def test_numbers_are_sequential_per_tenant(tenant, requester):
    first = make_incident(by=requester)
    second = make_incident(by=requester)
    assert int(second.number[3:]) == int(first.number[3:]) + 1


def test_create_refuses_blank_title_and_bad_choice_without_writing(tenant, requester):
    before = Incident.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        make_incident(by=requester, title="  ", impact=9)
    assert set(exc.value.fields) == {"title", "impact"}
    assert Incident.objects.count() == before


def test_transitions_follow_the_workflow(tenant, requester, agent):
    incident = make_incident(by=requester)
    incident = services.transition_incident(incident, "start", by=agent)
    assert incident.state == "in_progress"
    with pytest.raises(ValidationFailed) as exc:
        services.transition_incident(incident, "hold", by=agent)
    assert "hold_reason" in exc.value.fields
    incident.refresh_from_db()
    assert incident.state == "in_progress"
    incident = services.transition_incident(incident, "hold", by=agent, fields={"hold_reason": "awaiting_vendor"})
    assert incident.state == "on_hold" and incident.hold_reason == "awaiting_vendor"
    incident = services.transition_incident(incident, "resume", by=agent)
    assert incident.hold_reason == ""
    incident = services.transition_incident(
        incident, "resolve", by=agent, fields={"resolution_code": "solved_permanently", "resolution_notes": "Rebooted"})
    assert incident.state == "resolved" and incident.resolved_at is not None
    with pytest.raises(InvalidTransition):
        services.transition_incident(incident, "hold", by=agent, fields={"hold_reason": "awaiting_vendor"})
    kinds = [e.kind for e in timeline(incident)]
    assert kinds.count("transition") == 4


def test_unknown_action_is_refused(tenant, requester, agent):
    incident = make_incident(by=requester)
    with pytest.raises(InvalidTransition, match="Unknown action"):
        services.transition_incident(incident, "explode", by=agent)


def test_requester_cannot_start_work_but_can_close_own_resolved(tenant, requester, agent):
    incident = make_incident(by=requester)
    with pytest.raises(InvalidTransition):
        services.transition_incident(incident, "start", by=requester)
    incident = services.transition_incident(
        incident, "resolve", by=agent, fields={"resolution_code": "solved_remotely", "resolution_notes": "Done"})
    incident = services.transition_incident(incident, "close", by=requester)
    assert incident.state == "closed" and incident.closed_at is not None


def test_other_requester_cannot_touch_the_ticket(tenant, requester):
    incident = make_incident(by=requester)
    stranger = RequesterFactory()
    with pytest.raises(NotPermitted):
        services.add_reply(incident, by=stranger, body="hello")


def test_stale_version_is_refused_and_nothing_changes(tenant, requester, agent):
    incident = make_incident(by=requester)
    services.update_incident(incident, by=agent, changes={"title": "New title"}, expected_version=1)
    with pytest.raises(StaleVersion):
        services.update_incident(incident, by=agent, changes={"title": "Lost update"}, expected_version=1)
    incident.refresh_from_db()
    assert incident.title == "New title" and incident.version == 2


def test_field_changes_recompute_priority_and_are_recorded(tenant, requester, agent):
    incident = make_incident(by=requester)
    incident = services.update_incident(incident, by=agent, changes={"impact": 1, "urgency": 1})
    assert incident.priority == 1
    change = timeline(incident)[-1]
    assert change.kind == "field_change" and not change.is_public
    assert {c["field"] for c in change.data["changes"]} == {"impact", "urgency", "priority"}


def test_assignee_must_be_member_of_group(tenant, requester, agent, group):
    outsider = AgentFactory()
    incident = make_incident(by=requester, assignment_group=group)
    with pytest.raises(ValidationFailed) as exc:
        services.update_incident(incident, by=agent, changes={"assignee": outsider})
    assert "assignee" in exc.value.fields
    incident = services.update_incident(incident, by=agent, changes={"assignee": agent})
    assert incident.assignee == agent


def test_first_public_agent_reply_sets_first_response(tenant, requester, agent):
    incident = make_incident(by=requester)
    services.add_reply(incident, by=agent, body="internal", is_public=False)
    incident.refresh_from_db()
    assert incident.first_response_at is None
    services.add_reply(incident, by=agent, body="On it")
    incident.refresh_from_db()
    assert incident.first_response_at is not None


def test_requester_cannot_write_work_notes(tenant, requester):
    incident = make_incident(by=requester)
    with pytest.raises(NotPermitted):
        services.add_reply(incident, by=requester, body="psst", is_public=False)


def test_requester_reply_reopens_recently_resolved(tenant, requester, agent):
    incident = make_incident(by=requester)
    incident = services.transition_incident(
        incident, "resolve", by=agent, fields={"resolution_code": "solved_remotely", "resolution_notes": "Done"})
    services.add_reply(incident, by=requester, body="Still broken!")
    incident.refresh_from_db()
    assert incident.state == "in_progress" and incident.resolved_at is None and incident.resolution_code == ""


def test_requester_reply_after_window_does_not_reopen(tenant, requester, agent):
    from datetime import timedelta

    from django.utils import timezone

    incident = make_incident(by=requester)
    incident = services.transition_incident(
        incident, "resolve", by=agent, fields={"resolution_code": "solved_remotely", "resolution_notes": "Done"})
    with direct_writes("test set-up: resolved before the reopen window"):
        Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now() - timedelta(days=tenant.reopen_window_days + 1))
    services.add_reply(incident, by=requester, body="Thanks")
    incident.refresh_from_db()
    assert incident.state == "resolved"


def test_resolving_parent_resolves_open_children(tenant, requester, agent):
    parent = make_incident(by=requester, title="Email down", is_major=True)
    children = [make_incident(by=agent, requester=requester, title=f"Email down for me {i}", parent=parent)
                for i in range(3)]
    services.transition_incident(children[0], "cancel", by=agent, fields={"cancel_reason": "Duplicate report"})
    services.transition_incident(parent, "resolve", by=agent,
                                 fields={"resolution_code": "solved_permanently", "resolution_notes": "Mail server restarted"})
    states = dict(hierarchy.children_of(parent).values_list("title", "state"))
    assert states == {"Email down for me 0": "cancelled", "Email down for me 1": "resolved", "Email down for me 2": "resolved"}


def test_child_of_child_is_refused(tenant, requester, agent):
    parent = make_incident(by=requester)
    child = make_incident(by=agent, requester=requester, parent=parent)
    before = Incident.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        make_incident(by=agent, requester=requester, parent=child)
    assert "is itself child of" in refused.value.fields["parent"][0]
    assert Incident.objects.count() == before  # the incident is not created without its parent
    other = make_incident(by=requester)
    with pytest.raises(ValidationFailed):
        services.update_incident(other, by=agent, changes={"parent": child})
    with pytest.raises(ValidationFailed) as refused:  # a parent cannot become a child
        services.update_incident(parent, by=agent, changes={"parent": other})
    assert "cannot become child of" in refused.value.fields["parent"][0]
    assert hierarchy.parent_of(other) is None and hierarchy.parent_of(parent) is None


def test_a_child_has_one_parent_and_moving_it_replaces_the_link(tenant, requester, agent):
    first, second = make_incident(by=requester, title="First"), make_incident(by=requester, title="Second")
    child = make_incident(by=agent, requester=requester, parent=first)
    services.update_incident(child, by=agent, changes={"parent": second})
    assert hierarchy.parent_of(child).pk == second.pk and not hierarchy.children_of(first).exists()
    services.update_incident(child, by=agent, changes={"parent": None})
    assert hierarchy.parent_of(child) is None


def test_requesters_cannot_make_an_incident_a_child(tenant, requester):
    parent = make_incident(by=requester)
    with pytest.raises(NotPermitted):
        make_incident(by=requester, parent=parent)


def test_notifications_reach_requester_and_assignee(tenant, requester, agent, group, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(by=requester, assignment_group=group)
    assert [m.to for m in mail.outbox] == [[requester.email]]
    assert incident.number in mail.outbox[0].subject
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.update_incident(incident, by=requester if requester.is_agent else AgentFactory(),
                                            changes={"assignee": agent})
    assert [m.to for m in mail.outbox] == [[agent.email]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(incident, by=agent, body="Please restart", is_public=False)
    assert mail.outbox == []  # work notes never email the requester
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(incident, by=agent, body="Please restart your laptop")
        services.transition_incident(incident, "resolve", by=agent,
                                     fields={"resolution_code": "solved_remotely", "resolution_notes": "Restarted"})
    assert [m.to for m in mail.outbox] == [[requester.email], [requester.email]]
    assert "Please restart your laptop" in mail.outbox[0].body


def test_auto_close_closes_only_old_resolved(tenant, requester, agent):
    from datetime import timedelta

    from django.utils import timezone

    old = make_incident(by=requester)
    fresh = make_incident(by=requester)
    for incident in (old, fresh):
        services.transition_incident(incident, "resolve", by=agent,
                                     fields={"resolution_code": "solved_remotely", "resolution_notes": "Done"})
    with direct_writes("test set-up: resolved 30 days ago"):
        Incident.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=30))
    assert services.auto_close_resolved() == 1
    assert services.auto_close_resolved() == 0
    old.refresh_from_db(); fresh.refresh_from_db()
    assert old.state == "closed" and fresh.state == "resolved"
    assert timeline(old)[-1].data.get("automatic") is True


def test_ticket_numbers_unique_under_concurrency(tenant):
    """Eight threads (own connections, committed writes) create incidents at once; every number is distinct."""
    from django.db import connections

    numbers, errors = [], []

    def worker(n):
        try:
            connection.set_tenant(tenant)
            user = RequesterFactory(email=f"concurrency{n}@example.test")
            created = [make_incident(by=user) for _ in range(5)]
            numbers.extend(i.number for i in created)
            # These writes committed outside the test transaction: remove them again.
            TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id__in=[i.pk for i in created]).delete()
            Incident.objects.filter(pk__in=[i.pk for i in created]).delete()
            user.delete()
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    assert len(numbers) == 40 and len(set(numbers)) == 40


def test_open_state_sql_matches_the_partial_index_predicates(tenant):
    """Queries list the open states in the partial indexes' order, so PostgreSQL can use them."""
    from incidents.ticket_type import INCIDENT_TYPE
    from tickets.queries import open_counters
    from incidents.workflow import OPEN

    assert list(OPEN) == sorted(OPEN)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        open_counters(INCIDENT_TYPE, AgentFactory())
    sql = ctx.captured_queries[-1]["sql"]
    assert "IN ('in_progress', 'new', 'on_hold')" in sql


def test_notification_links_open_the_right_page(tenant, requester, agent, group, make_client,
                                                django_capture_on_commit_callbacks):
    import re

    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(by=requester, assignment_group=group)
        services.update_incident(incident, by=AgentFactory(), changes={"assignee": agent})
    links = {message.to[0]: re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1) for message in mail.outbox}
    assert links[requester.email] == f"/portal/tickets/{incident.number}/"
    assert links[agent.email] == f"/desk/incidents/{incident.number}/"
    assert make_client(tenant, requester).get(links[requester.email]).status_code == 200
    assert make_client(tenant, agent).get(links[agent.email]).status_code == 200


def test_watchers_are_recorded_see_the_ticket_and_only_agents_change_them(tenant, requester, agent):
    from incidents.models import Incident
    from tickets.services import set_watchers

    visible_to = Incident.objects.visible_to

    colleague = RequesterFactory()
    incident = make_incident(by=requester)
    assert not visible_to(colleague).filter(pk=incident.pk).exists()
    set_watchers(incident, by=agent, watchers=[colleague])
    assert visible_to(colleague).filter(pk=incident.pk).exists()
    change = timeline(incident)[-1]
    assert change.kind == "field_change" and not change.is_public
    assert change.data["changes"][0]["new"] == str(colleague)
    with pytest.raises(NotPermitted):
        set_watchers(incident, by=requester, watchers=[])
    assert list(incident.watchers.all()) == [colleague]
