import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from core.exceptions import AttachmentRejected, NotPermitted
from incidents import services
from tests import files
from tests.factories import make_incident
from tickets import attachments as attachment_rules
from tickets.attachments import can_download, validate_upload
from tickets.models import Attachment, TimelineEntry
from tickets.services import add_attachment


def upload(name="log.txt", content=b"disk full", content_type="text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


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


# --- typed by content -------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "message"), [
    ("report.png", files.HTML, "The content of report.png is HTML, not a PNG image."),
    ("evil.svg.png", files.SVG, "The content of evil.svg.png is an SVG image, not a PNG image."),
    ("report.docx", files.PDF, "The content of report.docx is a PDF document, not a Word document."),
    ("setup.txt", files.EXE, "The content of setup.txt is a Windows program, not UTF-8 plain text."),
    ("photo.jpg", files.PNG, "The content of photo.jpg is a PNG image, not a JPEG image."),
    ("budget.xlsx", files.DOCX, "The content of budget.xlsx is a Word document, not an Excel workbook."),
    ("invoice.docx", files.DOCM, "The content of invoice.docx is a macro-enabled Word document, not a Word document."),
    ("logs.zip", b"PK\x03\x04 not really an archive", "The content of logs.zip is a damaged ZIP archive, not a ZIP archive."),
    ("mail.msg", files.LEGACY_DOC, "The content of mail.msg is a legacy Office (OLE) document, not an Outlook message."),
    ("export.csv", "café,1\n".encode("latin-1"), "The content of export.csv is unrecognised binary data, not UTF-8 CSV text."),
    ("data.json", b"host=srv1", "The content of data.json is plain text, not JSON."),
    ("mail.eml", files.TEXT, "The content of mail.eml is plain text, not an email message."),
    # Markup at the start is what a browser would render; whitespace before it changes nothing.
    ("notes.txt", b"\n  <script>alert(1)</script>", "The content of notes.txt is HTML, not UTF-8 plain text."),
    ("notes.log", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "is an SVG image, not UTF-8"),
    ("config.txt", b'<?xml version="1.0"?><config/>', "is XML markup, not UTF-8 plain text."),
])
def test_content_that_is_not_what_the_extension_says_is_refused(name, content, message):
    with pytest.raises(AttachmentRejected) as refused:
        validate_upload(files.upload(name, content))
    assert message in refused.value.fields["file"][0]


@pytest.mark.parametrize(("name", "content", "stored_type"), [
    ("screen.png", files.PNG, "image/png"),
    ("photo.jpg", files.JPEG, "image/jpeg"),
    ("photo.JPEG", files.JPEG, "image/jpeg"),
    ("anim.gif", files.GIF, "image/gif"),
    ("shot.webp", files.WEBP, "image/webp"),
    ("manual.pdf", files.PDF, "application/pdf"),
    ("letter.docx", files.DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("budget.xlsx", files.XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("deck.pptx", files.PPTX, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("logs.zip", files.ZIP, "application/zip"),
    ("letter.zip", files.DOCX, "application/zip"),
    ("mail.msg", files.MSG, "application/vnd.ms-outlook"),
    ("mail.eml", files.EML, "message/rfc822"),
    ("notes.txt", files.TEXT, "text/plain"),
    ("app.log", b"GET /?q=<script>alert(1)</script> 400\n", "text/plain"),
    ("hosts.csv", files.CSV, "text/csv"),
    ("state.json", files.JSON, "application/json"),
    ("state.txt", files.JSON, "text/plain"),
    ("bom.txt", b"\xef\xbb\xbfwith a byte order mark\n", "text/plain"),
    # The last extension and the content agree: a real PNG, whatever the rest of the name says.
    ("evil.svg.png", files.PNG, "image/png"),
])
def test_each_kind_is_stored_with_its_sniffed_type(tenant, requester, agent, media, name, content, stored_type):
    incident = make_incident(by=requester)
    attachment = add_attachment(incident, by=agent, upload=files.upload(name, content), is_public=True)
    attachment.refresh_from_db()
    assert attachment.content_type == stored_type
    assert (media / attachment.file.name).read_bytes() == content


def test_an_extension_allowed_but_not_verifiable_is_still_refused(settings):
    settings.ATTACHMENT_ALLOWED_EXTENSIONS = ["txt", "md"]
    with pytest.raises(AttachmentRejected, match=r"Files of type \.md are not allowed\. Allowed: txt\."):
        validate_upload(files.upload("readme.md", b"# Title\n"))
    assert validate_upload(files.upload("readme.txt", b"# Title\n")) == "text/plain"


@pytest.mark.parametrize(("name", "content"), [
    ("report.png", files.HTML), ("evil.svg.png", files.SVG), ("report.docx", files.PDF),
    ("setup.txt", files.EXE), ("empty.png", b""),
])
def test_a_refused_file_writes_nothing(tenant, requester, agent, media, name, content):
    incident = make_incident(by=requester)
    entries = TimelineEntry.objects.count()
    with pytest.raises(AttachmentRejected):
        services.add_reply(incident, by=agent, body="see file", attachments=[files.upload("ok.txt", b"fine"),
                                                                           files.upload(name, content)])
    with pytest.raises(AttachmentRejected):
        add_attachment(incident, by=agent, upload=files.upload(name, content), is_public=True)
    assert TimelineEntry.objects.count() == entries and not Attachment.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


def test_store_checks_the_content_itself(tenant, requester, agent, media):
    """No caller can skip the check: the storing step refuses on its own and its transaction rolls back."""
    incident = make_incident(by=requester)
    with pytest.raises(AttachmentRejected, match="is HTML, not a PNG image"):
        with attachment_rules.removed_if_not_committed(), transaction.atomic():
            attachment_rules.store(incident, upload=files.upload("report.png", files.HTML), by=agent, is_public=True)
    assert not Attachment.objects.exists() and not any(path.is_file() for path in media.rglob("*"))
