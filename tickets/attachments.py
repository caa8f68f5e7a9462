"""Attachment rules: size and type limits, per-tenant storage, access checks."""

import hashlib
import mimetypes
import os
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat

from tickets.exceptions import AttachmentRejected
from tickets.models import Attachment, ticket_type_label

_stored_files: ContextVar[list | None] = ContextVar("stored_attachment_files", default=None)

# Types we never store whatever the extension says: they execute in browsers or on desktops.
BLOCKED_CONTENT_TYPES = {"text/html", "application/xhtml+xml", "image/svg+xml", "application/javascript",
                         "application/x-msdownload", "application/x-sh"}


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")


def safe_filename(name: str) -> str:
    base = os.path.basename(name or "").replace("\x00", "").strip() or "file"
    return "".join(c if c.isalnum() or c in "._- " else "_" for c in base)[:200]


def validate_upload(upload) -> None:
    name = safe_filename(getattr(upload, "name", ""))
    size = upload.size
    if size == 0:
        raise AttachmentRejected(f"{name} is empty.", fields={"file": [f"{name} is empty."]})
    if size > settings.ATTACHMENT_MAX_BYTES:
        message = f"{name} is {filesizeformat(size)}; the limit is {filesizeformat(settings.ATTACHMENT_MAX_BYTES)}."
        raise AttachmentRejected(message, fields={"file": [message]})
    extension = _extension(name)
    guessed = mimetypes.guess_type(name)[0] or ""
    if extension not in settings.ATTACHMENT_ALLOWED_EXTENSIONS or guessed in BLOCKED_CONTENT_TYPES:
        allowed = ", ".join(sorted(settings.ATTACHMENT_ALLOWED_EXTENSIONS))
        message = f"Files of type .{extension or '(none)'} are not allowed. Allowed: {allowed}."
        raise AttachmentRejected(message, fields={"file": [message]})


@contextmanager
def removed_if_not_committed():
    """Files stored inside the block are deleted again if the block raises (its rows roll back)."""
    stored: list[str] = []
    token = _stored_files.set(stored)
    try:
        yield
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    finally:
        _stored_files.reset(token)


def store(ticket, *, upload, by, is_public: bool, entry=None) -> Attachment:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = safe_filename(upload.name)
    attachment = Attachment(
        ticket_type=ticket_type_label(ticket),
        ticket_id=ticket.pk,
        entry=entry,
        storage_token=uuid.uuid4().hex,
        filename=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        size=upload.size,
        sha256=digest.hexdigest(),
        is_public=is_public,
        uploaded_by=by,
    )
    attachment.file.save(name, upload, save=False)
    tracked = _stored_files.get()
    if tracked is not None:
        tracked.append(attachment.file.name)
    attachment.save()
    return attachment


def can_download(user, attachment: Attachment, ticket) -> bool:
    """Agents see every attachment; a requester only public ones on their own tickets."""
    if user.is_agent:
        return True
    if not attachment.is_public:
        return False
    return ticket.requester_id == user.pk or ticket.watchers.filter(pk=user.pk).exists()
