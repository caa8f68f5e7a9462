from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.models import Incident
from tests.factories import RequesterFactory, make_incident
from tests.files import PNG
from tickets.models import Attachment


def test_portal_home_and_my_tickets_show_only_own(requester_client, requester, agent):
    own = make_incident(by=requester, title="My monitor flickers")
    someone = RequesterFactory(full_name="Someone Else")
    foreign = make_incident(by=someone, title="Someone else's secret issue")
    for path in ("/portal/", "/portal/tickets/?show=all"):
        html = requester_client.get(path).content.decode()
        assert own.number in html and "My monitor flickers" in html
        assert foreign.number not in html and "secret issue" not in html


def test_requester_cannot_open_someone_elses_ticket(requester_client, tenant):
    foreign = make_incident(by=RequesterFactory(), title="Not yours")
    assert requester_client.get(f"/portal/tickets/{foreign.number}/").status_code == 404
    assert requester_client.post(f"/portal/tickets/{foreign.number}/reply/", {"body": "hi"}).status_code == 404


def test_watched_ticket_is_visible(requester_client, requester, agent):
    watched = make_incident(by=RequesterFactory(), title="Shared outage", watchers=[requester])
    assert requester_client.get(f"/portal/tickets/{watched.number}/").status_code == 200


def test_requester_never_sees_work_notes_internal_changes_or_files(requester_client, requester, agent, group):
    incident = make_incident(by=requester, title="Wi-Fi drops", assignment_group=group)
    services.add_reply(incident, by=agent, body="Public: we are looking", is_public=True)
    services.add_reply(incident, by=agent, body="WORKNOTE-7731 suspect the AP firmware", is_public=False,
                       attachments=[SimpleUploadedFile("internal-diag.txt", b"secret diag")])
    services.update_incident(incident, by=agent, changes={"assignee": agent, "urgency": 1})
    html = requester_client.get(f"/portal/tickets/{incident.number}/").content.decode()
    assert "Public: we are looking" in html
    assert "WORKNOTE-7731" not in html
    assert "internal-diag.txt" not in html
    assert "tl-field_change" not in html and "tl-work_note" not in html


def test_portal_create_with_attachment(requester_client, requester):
    upload = SimpleUploadedFile("screenshot.png", PNG, content_type="image/png")
    response = requester_client.post("/portal/tickets/new/", {"title": "Outlook crashes", "description": "On start",
                                                              "urgency": "2", "category": "", "attachments": [upload]})
    incident = Incident.objects.get(title="Outlook crashes")
    assert response.status_code == 302 and response["Location"] == f"/portal/tickets/{incident.number}/"
    assert incident.requester == requester and incident.channel == "portal" and incident.urgency == 2
    attachment = Attachment.objects.get(ticket_id=incident.pk)
    assert attachment.is_public
    assert "screenshot.png" in requester_client.get(response["Location"]).content.decode()


def test_portal_create_errors_write_nothing(requester_client):
    before = Incident.objects.count()
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = requester_client.post("/portal/tickets/new/", {"title": "", "urgency": "9", "attachments": [bad]})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"title", "urgency", "attachments"}
    assert Incident.objects.count() == before
    assert Attachment.objects.count() == 0


def test_requester_reply(requester_client, requester):
    incident = make_incident(by=requester)
    response = requester_client.post(f"/portal/tickets/{incident.number}/reply/", {"body": "Any news?"})
    assert response.status_code == 302
    assert "Any news?" in requester_client.get(f"/portal/tickets/{incident.number}/").content.decode()


def _resolved(requester, agent):
    incident = make_incident(by=requester, title="Resolved one")
    return services.transition_incident(incident, "resolve", by=agent,
                                        fields={"resolution_code": "solved_remotely", "resolution_notes": "Rebooted it"})


def test_confirm_resolution_closes(requester_client, requester, agent):
    incident = _resolved(requester, agent)
    html = requester_client.get(f"/portal/tickets/{incident.number}/").content.decode()
    assert "Confirm resolution" in html and "Still broken" in html and "Rebooted it" in html
    assert requester_client.post(f"/portal/tickets/{incident.number}/confirm/").status_code == 302
    incident.refresh_from_db()
    assert incident.state == "closed"
    assert "Confirm resolution" not in requester_client.get(f"/portal/tickets/{incident.number}/").content.decode()


def test_still_broken_reopens(requester_client, requester, agent):
    incident = _resolved(requester, agent)
    requester_client.post(f"/portal/tickets/{incident.number}/reopen/")
    incident.refresh_from_db()
    assert incident.state == "in_progress"


def test_confirm_on_open_ticket_is_refused_with_message(requester_client, requester):
    incident = make_incident(by=requester)
    response = requester_client.post(f"/portal/tickets/{incident.number}/confirm/", follow=True)
    assert "Cannot close" in response.content.decode()
    incident.refresh_from_db()
    assert incident.state == "new"


def test_agent_on_portal_sees_only_tickets_they_raised(agent_client, agent, requester):
    own = make_incident(by=agent, title="Agent's own laptop")
    other = make_incident(by=requester, title="A requester's ticket")
    html = agent_client.get("/portal/tickets/?show=all").content.decode()
    assert own.number in html and other.number not in html
