"""Attachment rules: size and type limits, per-tenant storage, access checks, the download response.

A file is typed by its content (core.filetypes), not its name: the extension must be on
settings.ATTACHMENT_ALLOWED_EXTENSIONS *and* the bytes must be what that extension promises. The type
stored (and served) is the verified one.
"""

import hashlib
import os
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat

from core import filetypes
from core.exceptions import AttachmentRejected
from tickets.models import Attachment, ticket_type_label

_stored_files: ContextVar[list | None] = ContextVar("stored_attachment_files", default=None)


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower().lstrip(".")


def safe_filename(name: str) -> str:
    base = os.path.basename(name or "").replace("\x00", "").strip() or "file"
    return "".join(c if c.isalnum() or c in "._- " else "_" for c in base)[:200]


def allowed_extensions() -> set[str]:
    """The setting's extensions we can verify; one we cannot check the content of is never accepted."""
    return {extension.lower() for extension in settings.ATTACHMENT_ALLOWED_EXTENSIONS} & set(filetypes.FORMATS)


def _rejected(message: str) -> AttachmentRejected:
    return AttachmentRejected(message, fields={"file": [message]})


def validate_upload(upload) -> str:
    """The content type to store for ``upload``, once its size, extension and content pass."""
    name = safe_filename(getattr(upload, "name", ""))
    size = upload.size
    if size == 0:
        raise _rejected(f"{name} is empty.")
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise _rejected(f"{name} is {filesizeformat(size)}; the limit is {filesizeformat(settings.ATTACHMENT_MAX_BYTES)}.")
    extension = _extension(name)
    allowed = allowed_extensions()
    if extension not in allowed:
        raise _rejected(f"Files of type .{extension or '(none)'} are not allowed. Allowed: {', '.join(sorted(allowed))}.")
    try:
        return filetypes.check(upload, extension).mime
    except filetypes.ContentMismatch as mismatch:
        raise _rejected(f"The content of {name} is {mismatch.content.label}, not {mismatch.expected.label}.")


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
    """Write the file and its row. The upload is checked here too (callers check first to refuse before
    locking the ticket), so no path can store a file whose content was not verified."""
    content_type = validate_upload(upload)
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
        content_type=content_type,
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
    return attachment.is_public and ticket.is_visible_to(user)


def download_response(attachment: Attachment) -> FileResponse:
    """The file as a download, never rendered: its verified type, ``attachment`` disposition, ``nosniff``,
    and a sandboxing policy in case a browser opens it anyway."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer stored.")
    response = FileResponse(handle, as_attachment=True, filename=attachment.filename,
                            content_type=attachment.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
