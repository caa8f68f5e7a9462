"""Attachments over the API are typed by content: refusals name the mismatch, downloads carry the sniffed type."""

import pytest

from tests import files
from tests.api.helpers import api_client, back_to, error_of
from tests.factories import AgentFactory, make_incident
from tickets.models import Attachment

URL = "/api/v1/incidents/"


@pytest.fixture
def incident(tenant, requester):
    return make_incident(by=requester)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("report.png", files.HTML, "The content of report.png is HTML, not a PNG image."),
    ("evil.svg.png", files.SVG, "The content of evil.svg.png is an SVG image, not a PNG image."),
    ("report.docx", files.PDF, "The content of report.docx is a PDF document, not a Word document."),
    ("setup.txt", files.EXE, "The content of setup.txt is a Windows program, not UTF-8 plain text."),
    ("empty.txt", b"", "empty.txt is empty."),
])
def test_disguised_upload_is_400_with_the_reason_and_stores_nothing(tenant, agent, incident, name, content, message):
    response = api_client(tenant, agent).post(f"{URL}{incident.number}/attachments/",
                                              {"file": files.upload(name, content)}, format="multipart")
    assert response.status_code == 400
    body = error_of(response)
    assert body["code"] == "attachment_rejected" and body["fields"]["file"] == [message]
    assert not Attachment.objects.filter(ticket_id=incident.pk).exists()


@pytest.mark.parametrize(("name", "content", "served_type"), [
    ("manual.pdf", files.PDF, "application/pdf"),
    ("hosts.csv", files.CSV, "text/csv"),
    ("photo.jpg", files.JPEG, "image/jpeg"),
])
def test_download_carries_the_sniffed_type_and_is_never_rendered(tenant, agent, incident, name, content, served_type):
    api = api_client(tenant, agent)
    created = api.post(f"{URL}{incident.number}/attachments/", {"file": files.upload(name, content)},
                       format="multipart").json()
    assert created["content_type"] == served_type
    response = api.get(created["download_url"])
    files.assert_served_as_download(response, name=name, content=content, content_type=served_type)


def test_other_tenant_cannot_download_by_number_and_id(tenant, other_tenant, in_other_tenant, agent, incident):
    api = api_client(tenant, agent)
    created = api.post(f"{URL}{incident.number}/attachments/",
                       {"file": files.upload("alpha.txt", b"alpha secret")}, format="multipart").json()
    path = f"{URL}{incident.number}/attachments/{created['id']}/"
    with in_other_tenant():
        beta_agent = AgentFactory()
    beta = api_client(other_tenant, beta_agent)
    on_beta = beta.get(path)
    back_to(tenant)
    on_alpha = beta.get(path, HTTP_HOST=api.defaults["HTTP_HOST"])
    back_to(tenant)
    assert on_beta.status_code == 404 and on_alpha.status_code == 401
    for response in (on_beta, on_alpha):
        error_of(response)
        assert b"alpha secret" not in response.content


@pytest.mark.parametrize(("name", "content", "served_type"), [
    ("letter.docx", files.DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("big.csv", files.CSV * 40_000, "text/csv"),
])
def test_uploads_spooled_to_disk_are_sniffed_alike(tenant, agent, incident, settings, name, content, served_type):
    """Above FILE_UPLOAD_MAX_MEMORY_SIZE Django hands over a temporary file instead of memory."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api_client(tenant, agent).post(f"{URL}{incident.number}/attachments/",
                                              {"file": files.upload(name, content)}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == served_type
    assert Attachment.objects.get(ticket_id=incident.pk).file.read() == content


def test_a_disguised_upload_spooled_to_disk_is_refused(tenant, agent, incident, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api_client(tenant, agent).post(f"{URL}{incident.number}/attachments/",
                                              {"file": files.upload("big.csv", files.CSV * 1000 + files.EXE)},
                                              format="multipart")
    assert response.status_code == 400
    assert error_of(response)["fields"]["file"] == ["The content of big.csv is unrecognised binary data, not UTF-8 CSV text."]
