import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils.html import escape

from incidents import services
from tests import files
from tests.conftest import host_of
from tests.factories import AgentFactory, RequesterFactory, make_incident
from tickets.models import Attachment, TimelineEntry
from tickets.services import add_attachment


def _files(incident, agent, requester):
    public = services.add_reply(incident, by=requester, body="screenshot", is_public=True,
                                attachments=[SimpleUploadedFile("public.txt", b"public bytes")]).attachments.get()
    internal = services.add_reply(incident, by=agent, body="diag", is_public=False,
                                  attachments=[SimpleUploadedFile("internal.txt", b"internal bytes")]).attachments.get()
    return public, internal


def test_agent_downloads_any_attachment(agent_client, incident, agent, requester):
    public, internal = _files(incident, agent, requester)
    for attachment, body in ((public, b"public bytes"), (internal, b"internal bytes")):
        response = agent_client.get(f"/attachments/{attachment.pk}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == body
        assert "attachment;" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"


def test_requester_gets_public_but_not_internal_attachment(requester_client, incident, agent, requester):
    public, internal = _files(incident, agent, requester)
    assert requester_client.get(f"/attachments/{public.pk}/").status_code == 200
    response = requester_client.get(f"/attachments/{internal.pk}/")
    assert response.status_code == 403
    assert b"internal bytes" not in response.content


def test_other_requester_gets_404(make_client, tenant, incident, agent, requester):
    public, _ = _files(incident, agent, requester)
    stranger = make_client(tenant, RequesterFactory())
    assert stranger.get(f"/attachments/{public.pk}/").status_code == 404


def test_anonymous_is_sent_to_login(make_client, tenant, incident, agent, requester):
    public, _ = _files(incident, agent, requester)
    response = make_client(tenant).get(f"/attachments/{public.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_other_tenant_gets_404(make_client, tenant, other_tenant, in_other_tenant, incident, agent, requester):
    public, internal = _files(incident, agent, requester)
    with in_other_tenant():
        beta_agent = AgentFactory()
    beta = make_client(other_tenant)
    with in_other_tenant():
        beta.force_login(beta_agent)
    for attachment in (public, internal):
        response = beta.get(f"/attachments/{attachment.pk}/")
        assert response.status_code == 404
        assert b"public bytes" not in response.content and b"internal bytes" not in response.content
    connection.set_tenant(tenant)


@pytest.mark.parametrize(("name", "content", "served_type"), [
    ("screen.png", files.PNG, "image/png"),
    ("notes.txt", files.TEXT, "text/plain"),
    ("letter.docx", files.DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_download_is_served_with_the_sniffed_type_and_never_rendered(agent_client, incident, agent, name, content,
                                                                     served_type):
    attachment = add_attachment(incident, by=agent, upload=files.upload(name, content), is_public=True)
    response = agent_client.get(f"/attachments/{attachment.pk}/")
    files.assert_served_as_download(response, name=name, content=content, content_type=served_type)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("report.png", files.HTML, "The content of report.png is HTML, not a PNG image."),
    ("evil.svg.png", files.SVG, "The content of evil.svg.png is an SVG image, not a PNG image."),
    ("setup.txt", files.EXE, "The content of setup.txt is a Windows program, not UTF-8 plain text."),
])
def test_desk_reply_with_a_disguised_file_is_refused_with_the_reason(agent_client, incident, name, content, message):
    before = TimelineEntry.objects.count()
    response = agent_client.post(f"/desk/incidents/{incident.number}/comment/",
                                 {"body": "see file", "kind": "reply", "attachments": [files.upload(name, content)]})
    assert response.status_code == 400
    assert escape(message) in response.content.decode()
    assert TimelineEntry.objects.count() == before and not Attachment.objects.exists()


def test_portal_report_with_a_disguised_file_is_refused(requester_client):
    response = requester_client.post("/portal/tickets/new/", {
        "title": "Printer", "description": "Jammed", "urgency": "2", "category": "",
        "attachments": [files.upload("jam.png", files.HTML)]})
    assert response.status_code == 400
    assert response.context["form"].errors["attachments"] == ["The content of jam.png is HTML, not a PNG image."]
    assert not Attachment.objects.exists()


def test_other_tenant_never_gets_alphas_file_even_where_the_id_exists_in_both(
        make_client, tenant, other_tenant, in_other_tenant, incident, agent, requester):
    """Ids are per schema, so beta's own attachment may have alpha's id: beta gets its own bytes, never alpha's."""
    alpha_file = add_attachment(incident, by=agent, upload=files.upload("alpha.txt", b"alpha secret"), is_public=True)
    with in_other_tenant():
        beta_agent = AgentFactory()
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('tickets_attachment', 'id'), %s, false)",
                           [alpha_file.pk])
        beta_incident = make_incident(by=RequesterFactory())
        beta_file = add_attachment(beta_incident, by=beta_agent, upload=files.upload("beta.txt", b"beta own"),
                                   is_public=True)
    assert beta_file.pk == alpha_file.pk
    beta = make_client(other_tenant)
    with in_other_tenant():
        beta.force_login(beta_agent)
    response = beta.get(f"/attachments/{alpha_file.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"beta own"
    assert "beta.txt" in response["Content-Disposition"]
    # Beta's session means nothing on alpha's host.
    cross = beta.get(f"/attachments/{alpha_file.pk}/", HTTP_HOST=host_of(tenant))
    assert cross.status_code == 302 and cross["Location"].startswith("/login/")
    connection.set_tenant(tenant)
