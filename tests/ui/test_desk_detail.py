from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.models import Incident
from tickets.models import Attachment, TimelineEntry
from tickets.write_guard import direct_writes


def url(incident, suffix=""):
    return f"/desk/incidents/{incident.number}/{suffix}"


def edit_data(incident, **overrides):
    data = {"requester": incident.requester_id, "title": incident.title, "description": incident.description,
            "category": incident.category_id or "", "impact": incident.impact, "urgency": incident.urgency,
            "channel": incident.channel, "assignment_group": incident.assignment_group_id or "",
            "assignee": incident.assignee_id or "", "parent_number": "", "version": incident.version}
    if incident.is_major:
        data["is_major"] = "on"
    data.update(overrides)
    return data


def test_detail_shows_header_fields_actions_and_timeline(agent_client, incident, agent):
    services.add_reply(incident, by=agent, body="We are on it", is_public=True)
    services.add_reply(incident, by=agent, body="Internal: check RADIUS logs", is_public=False)
    response = agent_client.get(url(incident))
    assert response.status_code == 200
    html = response.content.decode()
    assert incident.number in html and "VPN refuses my password" in html
    assert "<em>Monday</em>" in html
    assert [f.transition.name for f in response.context["action_forms"]] == ["start", "hold", "resolve", "cancel"]
    assert "tl-work_note" in html and "Internal: check RADIUS logs" in html and "We are on it" in html


def test_detail_number_is_case_insensitive_and_unknown_is_404(agent_client, incident):
    assert agent_client.get(url(incident).lower()).status_code == 200
    assert agent_client.get("/desk/incidents/INC0000001/").status_code == 404


def test_resolve_requires_code_and_shows_errors(agent_client, incident):
    response = agent_client.post(url(incident, "actions/resolve/"), {"resolve-resolution_code": "",
                                                                      "resolve-resolution_notes": "",
                                                                      "resolve-version": incident.version})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Resolution code is required to resolve." in html
    assert response.context["open_action"] == "resolve"
    incident.refresh_from_db()
    assert incident.state == "new"


def test_resolve_with_code_and_notes(agent_client, incident):
    response = agent_client.post(url(incident, "actions/resolve/"), {
        "resolve-resolution_code": "solved_remotely", "resolve-resolution_notes": "Reset the token",
        "resolve-version": incident.version, "resolve-comment": "Please try again"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == "resolved" and incident.resolution_notes == "Reset the token"
    html = agent_client.get(url(incident)).content.decode()
    assert "Resolved" in html and "Please try again" in html


def test_hold_requires_reason(agent_client, incident):
    response = agent_client.post(url(incident, "actions/hold/"), {"hold-hold_reason": ""})
    assert response.status_code == 400
    assert "Hold reason is required" in response.content.decode()
    response = agent_client.post(url(incident, "actions/hold/"), {"hold-hold_reason": "awaiting_vendor"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == "on_hold"


def test_action_not_available_in_state_is_refused(agent_client, incident):
    response = agent_client.post(url(incident, "actions/close/"), {})
    assert response.status_code == 409
    assert "Cannot close" in response.content.decode()
    assert agent_client.post(url(incident, "actions/explode/"), {}).status_code == 404


def test_edit_changes_fields_and_records_history(agent_client, incident):
    response = agent_client.post(url(incident, "edit/"), edit_data(incident, urgency=1, impact=1, title="VPN down"))
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.priority == 1 and incident.title == "VPN down"
    html = agent_client.get(url(incident)).content.decode()
    assert "tl-field_change" in html and "VPN refuses my password" in html and "VPN down" in html


def test_stale_edit_is_refused_and_keeps_what_was_typed(agent_client, incident, agent):
    stale_version = incident.version
    services.update_incident(incident, by=agent, changes={"urgency": 2})  # someone else saves first
    response = agent_client.post(url(incident, "edit/"), edit_data(incident, version=stale_version,
                                                                   title="My careful new title"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else" in html and "reload" in html
    assert 'value="My careful new title"' in html
    incident.refresh_from_db()
    assert incident.title == "VPN refuses my password"


def test_edit_form_error_writes_nothing(agent_client, incident):
    version = incident.version
    response = agent_client.post(url(incident, "edit/"), edit_data(incident, title="", impact=7))
    assert response.status_code == 400
    assert set(response.context["edit_form"].errors) >= {"title", "impact"}
    incident.refresh_from_db()
    assert incident.version == version


def test_reply_and_work_note(agent_client, incident, requester):
    response = agent_client.post(url(incident, "comment/"), {"body": "Public answer", "kind": "reply"})
    assert response.status_code == 302
    response = agent_client.post(url(incident, "comment/"), {"body": "Secret note", "kind": "work_note"})
    assert response.status_code == 302
    entries = TimelineEntry.objects.filter(ticket_id=incident.pk, kind__in=["reply", "work_note"]).order_by("id")
    assert [(e.kind, e.is_public, e.body) for e in entries] == [("reply", True, "Public answer"),
                                                               ("work_note", False, "Secret note")]
    incident.refresh_from_db()
    assert incident.first_response_at is not None


def test_empty_comment_is_refused(agent_client, incident):
    response = agent_client.post(url(incident, "comment/"), {"body": "  ", "kind": "reply"})
    assert response.status_code == 400
    assert "Write a message or attach a file." in response.content.decode()


def test_reply_with_attachment_and_rejected_type(agent_client, incident):
    good = SimpleUploadedFile("trace.log", b"line 1\n", content_type="text/plain")
    response = agent_client.post(url(incident, "comment/"), {"body": "Log attached", "kind": "work_note",
                                                             "attachments": [good]})
    assert response.status_code == 302
    attachment = Attachment.objects.get(ticket_id=incident.pk)
    assert attachment.filename == "trace.log" and not attachment.is_public
    html = agent_client.get(url(incident)).content.decode()
    assert f"/attachments/{attachment.pk}/" in html

    bad = SimpleUploadedFile("evil.html", b"<script>", content_type="text/html")
    before = TimelineEntry.objects.count()
    response = agent_client.post(url(incident, "comment/"), {"body": "x", "kind": "reply", "attachments": [bad]})
    assert response.status_code == 400
    assert "Files of type .html are not allowed" in response.content.decode()
    assert TimelineEntry.objects.count() == before


def test_children_parent_and_watchers(agent_client, incident, requester, agent):
    child = services.create_incident(by=agent, requester=requester, title="Me too", parent=incident)
    html = agent_client.get(url(incident)).content.decode()
    assert child.number in html
    assert incident.number in agent_client.get(url(child)).content.decode()
    assert agent_client.post(url(incident, "watch/"), {"watch": "1"}).status_code == 302
    assert agent in Incident.objects.get(pk=incident.pk).watchers.all()
    assert agent_client.get(url(incident)).context["is_watching"]
    agent_client.post(url(incident, "watch/"), {"watch": "0"})
    assert agent not in Incident.objects.get(pk=incident.pk).watchers.all()


def test_saving_untouched_form_records_nothing(agent_client, incident):
    incident.description = "Line one\nLine two\n"
    with direct_writes("test set-up: a description stored with Unix line ends"):
        Incident.objects.filter(pk=incident.pk).update(description=incident.description)
    version = incident.version
    data = edit_data(incident, description="Line one\r\nLine two")  # what a browser sends back
    assert agent_client.post(url(incident, "edit/"), data).status_code == 302
    incident.refresh_from_db()
    assert incident.version == version
    assert not TimelineEntry.objects.filter(ticket_id=incident.pk, kind="field_change").exists()


def test_assign_to_me(agent_client, incident, agent):
    response = agent_client.post(url(incident, "assign-to-me/"), {"version": incident.version})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.assignee == agent


def test_assign_to_me_refused_outside_group_shows_why(make_client, tenant, incident):
    from tests.factories import AgentFactory

    outsider = AgentFactory()
    response = make_client(tenant, outsider).post(url(incident, "assign-to-me/"), {"version": incident.version},
                                                  follow=True)
    assert "is not a member of" in response.content.decode()
    incident.refresh_from_db()
    assert incident.assignee is None
