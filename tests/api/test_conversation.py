"""Comments, the timeline and attachments over the API: work notes never reach requesters."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from tests.api.helpers import api_client, error_of
from tests.factories import make_incident
from tickets.models import Attachment, TimelineEntry

URL = "/api/v1/incidents/"


def upload(name="notes.txt", content=b"disk full at 03:12\n", **extra):
    return {"file": SimpleUploadedFile(name, content), **extra}


@pytest.fixture
def incident(tenant, requester):
    return make_incident(by=requester)


def entries_of(incident):
    return TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=incident.pk)


def test_agent_posts_reply_and_work_note(tenant, agent, incident):
    api = api_client(tenant, agent)
    reply = api.post(f"{URL}{incident.number}/comments/", {"body": "On it **now**."})
    note = api.post(f"{URL}{incident.number}/comments/", {"body": "Suspect the RAID card.", "is_public": False})
    assert reply.status_code == 201 and note.status_code == 201
    assert reply.json()["kind"] == "reply" and "<strong>now</strong>" in reply.json()["body_html"]
    assert note.json()["kind"] == "work_note" and note.json()["is_public"] is False
    kinds = [row["kind"] for row in api.get(f"{URL}{incident.number}/timeline/").json()["results"]]
    assert kinds == ["created", "reply", "work_note"]


def test_requester_timeline_never_shows_work_notes_or_field_changes(tenant, agent, requester, incident):
    services.add_reply(incident, by=agent, body="Secret: the admin password is in the vault.", is_public=False)
    services.update_incident(incident, by=agent, changes={"impact": 1})
    services.add_reply(incident, by=agent, body="We are looking into it.")
    rows = api_client(tenant, requester).get(f"{URL}{incident.number}/timeline/").json()["results"]
    assert [row["kind"] for row in rows] == ["created", "reply"]
    assert all(row["is_public"] for row in rows)
    assert "vault" not in str(rows)


def test_requester_cannot_write_work_notes(tenant, requester, incident):
    before = entries_of(incident).count()
    response = api_client(tenant, requester).post(f"{URL}{incident.number}/comments/",
                                                  {"body": "psst", "is_public": False})
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert entries_of(incident).count() == before


def test_empty_comment_and_unknown_fields_are_400(tenant, agent, incident):
    api = api_client(tenant, agent)
    before = entries_of(incident).count()
    response = api.post(f"{URL}{incident.number}/comments/", {"body": "   "})
    assert response.status_code == 400 and "body" in error_of(response)["fields"]
    response = api.post(f"{URL}{incident.number}/comments/", {"body": "hi", "internal": True})
    assert response.status_code == 400 and "internal" in error_of(response)["fields"]
    assert entries_of(incident).count() == before


def test_requester_reply_reopens_their_resolved_incident(tenant, agent, requester, incident):
    services.transition_incident(incident, "resolve", by=agent,
                                 fields={"resolution_code": "solved_remotely", "resolution_notes": "Fixed"})
    response = api_client(tenant, requester).post(f"{URL}{incident.number}/comments/", {"body": "Broken again."})
    assert response.status_code == 201
    incident.refresh_from_db()
    assert incident.state == "in_progress"


def test_upload_list_and_download(tenant, agent, requester, incident):
    api = api_client(tenant, requester)
    response = api.post(f"{URL}{incident.number}/attachments/", upload(), format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["filename"] == "notes.txt" and body["is_public"] is True and body["size"] == 19
    listed = api.get(f"{URL}{incident.number}/attachments/").json()
    assert [a["id"] for a in listed] == [body["id"]]
    download = api.get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"disk full at 03:12\n"
    assert "attachment" in download["Content-Disposition"]


def test_requester_cannot_see_or_download_internal_attachments(tenant, agent, requester, incident):
    agent_api = api_client(tenant, agent)
    internal = agent_api.post(f"{URL}{incident.number}/attachments/",
                              upload("dump.log", b"internal", is_public="false"), format="multipart").json()
    assert internal["is_public"] is False
    api = api_client(tenant, requester)
    assert api.get(f"{URL}{incident.number}/attachments/").json() == []
    response = api.get(f"{URL}{incident.number}/attachments/{internal['id']}/")
    assert response.status_code == 404
    error_of(response)
    timeline = api.get(f"{URL}{incident.number}/timeline/").json()["results"]
    assert "dump.log" not in str(timeline)
    assert agent_api.get(f"{URL}{incident.number}/attachments/{internal['id']}/").status_code == 200


def test_requester_cannot_upload_internal_attachments(tenant, requester, incident):
    response = api_client(tenant, requester).post(f"{URL}{incident.number}/attachments/",
                                                  upload(is_public="false"), format="multipart")
    assert response.status_code == 403
    assert not Attachment.objects.filter(ticket_id=incident.pk).exists()


def test_too_big_attachment_is_400(tenant, agent, incident, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    response = api_client(tenant, agent).post(f"{URL}{incident.number}/attachments/",
                                              upload(content=b"x" * 11), format="multipart")
    assert response.status_code == 400
    body = error_of(response)
    assert body["code"] == "attachment_rejected" and "limit" in body["fields"]["file"][0]
    assert not Attachment.objects.filter(ticket_id=incident.pk).exists()


@pytest.mark.parametrize("name", ["invoice.exe", "page.html", "noextension"])
def test_disallowed_type_is_400(tenant, agent, incident, name):
    response = api_client(tenant, agent).post(f"{URL}{incident.number}/attachments/", upload(name),
                                              format="multipart")
    assert response.status_code == 400
    assert "not allowed" in error_of(response)["fields"]["file"][0]
    assert not Attachment.objects.filter(ticket_id=incident.pk).exists()


def test_missing_file_is_400(tenant, agent, incident):
    response = api_client(tenant, agent).post(f"{URL}{incident.number}/attachments/", {"is_public": "true"},
                                              format="multipart")
    assert response.status_code == 400 and "file" in error_of(response)["fields"]


def test_attachment_of_another_incident_is_404(tenant, agent, requester, incident):
    api = api_client(tenant, agent)
    other = make_incident(by=requester)
    attachment = api.post(f"{URL}{other.number}/attachments/", upload(), format="multipart").json()
    assert api.get(f"{URL}{incident.number}/attachments/{attachment['id']}/").status_code == 404
