import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from tests.factories import make_incident
from tickets.attachments import can_download, validate_upload
from tickets.exceptions import AttachmentRejected, NotPermitted
from tickets.models import Attachment, TimelineEntry


def upload(name="log.txt", content=b"disk full", content_type="text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_attachment_is_stored_under_the_tenant_prefix(tenant, requester, agent):
    incident = make_incident(by=requester)
    entry = services.add_reply(incident, by=agent, body="see log", attachments=[upload()])
    attachment = Attachment.objects.get(entry=entry)
    assert attachment.file.name.startswith(f"tenants/{tenant.schema_name}/attachments/")
    assert attachment.size == 9 and attachment.is_public and len(attachment.sha256) == 64
    assert attachment.file.read() == b"disk full"


@pytest.mark.parametrize("name", ["evil.html", "run.exe", "x.svg", "noextension"])
def test_disallowed_types_are_refused(name):
    with pytest.raises(AttachmentRejected, match="not allowed"):
        validate_upload(upload(name))


def test_oversized_and_empty_files_are_refused(settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(AttachmentRejected, match="limit"):
        validate_upload(upload(content=b"x" * 11))
    with pytest.raises(AttachmentRejected, match="empty"):
        validate_upload(upload(content=b""))


def test_rejected_attachment_writes_nothing(tenant, requester, agent, settings):
    settings.ATTACHMENT_MAX_BYTES = 4
    incident = make_incident(by=requester)
    before = TimelineEntry.objects.count()
    with pytest.raises(AttachmentRejected):
        services.add_reply(incident, by=agent, body="see log", attachments=[upload()])
    assert TimelineEntry.objects.count() == before and not Attachment.objects.exists()


def test_internal_attachment_hidden_from_requester(tenant, requester, agent):
    incident = make_incident(by=requester)
    entry = services.add_reply(incident, by=agent, body="internal", is_public=False, attachments=[upload()])
    attachment = Attachment.objects.get(entry=entry)
    assert not attachment.is_public
    assert can_download(agent, attachment, incident)
    assert not can_download(requester, attachment, incident)


def test_requester_cannot_add_internal_attachment(tenant, requester):
    from tickets.services import add_attachment

    incident = make_incident(by=requester)
    with pytest.raises(NotPermitted):
        add_attachment(incident, by=requester, upload=upload(), is_public=False)


def test_a_failed_write_leaves_no_stored_file(tenant, requester, agent, monkeypatch):
    from django.core.files.storage import default_storage

    from tickets import services as ticket_services

    incident = make_incident(by=requester)
    stored = []
    real_store = __import__("tickets.attachments", fromlist=["store"]).store

    def store_then_remember(*args, **kwargs):
        attachment = real_store(*args, **kwargs)
        stored.append(attachment.file.name)
        return attachment

    def broken_save(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("tickets.attachments.store", store_then_remember)
    monkeypatch.setattr(type(incident), "save", broken_save)
    with pytest.raises(RuntimeError):
        ticket_services.add_comment(incident, by=agent, body="see log", is_public=True, attachments=[upload()])
    assert stored and not default_storage.exists(stored[0])
    assert not Attachment.objects.exists()
