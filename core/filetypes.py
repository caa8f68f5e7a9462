"""What a file is, read from its bytes, and whether that matches what its extension claims.

Used for attachments and tenant logos, so an upload named ``report.png`` that is really HTML (or
``evil.svg.png`` that is an SVG) is refused wherever files come in. Binary formats are recognised by
puremagic's signatures (Windows programs by their ``MZ`` header); ZIP containers are opened to tell
Office documents (the main part named in ``[Content_Types].xml``, macro-enabled ones by name) from
plain archives; Outlook messages are OLE files with a MAPI property stream. Text is what decodes as
UTF-8 and has no NUL byte; it is JSON when it parses as such, an email when it opens with an RFC 5322
header block (whose body may be 8-bit in any charset). Text must not start like markup a browser
would render (the WHATWG sniffing table: ``<html``, ``<script``, ``<!--``, ``<?xml``, ``<svg``, ...).
Markup later in a text file (a log quoting a request) stays text: downloads are served as
attachments with ``nosniff``, so it is never rendered.
"""

import codecs
import json
import re
import zipfile
from dataclasses import dataclass, field

import puremagic

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Content:
    """A sniffed type: its MIME type and how a person would name it ("a PDF document")."""

    mime: str
    label: str


@dataclass(frozen=True)
class Format:
    """What a file extension promises: the type we store and serve, and the contents that keep the promise."""

    mime: str
    label: str
    accepts: frozenset[str] = field(default=frozenset())

    @classmethod
    def of(cls, content: Content, accepts: frozenset[str] = frozenset()) -> "Format":
        return cls(content.mime, content.label, accepts)

    def admits(self, content: Content) -> bool:
        return content.mime in (self.accepts or {self.mime})


class ContentMismatch(Exception):
    def __init__(self, content: Content, expected: Format):
        self.content, self.expected = content, expected
        super().__init__(f"{content.label}, not {expected.label}")


PNG = Content("image/png", "a PNG image")
JPEG = Content("image/jpeg", "a JPEG image")
GIF = Content("image/gif", "a GIF image")
WEBP = Content("image/webp", "a WebP image")
PDF = Content("application/pdf", "a PDF document")
PLAIN_TEXT = Content("text/plain", "plain text")
JSON = Content("application/json", "JSON")
EMAIL = Content("message/rfc822", "an email message")
ZIP = Content("application/zip", "a ZIP archive")
DAMAGED_ZIP = Content("application/octet-stream", "a damaged ZIP archive")
HTML = Content("text/html", "HTML")
SVG = Content("image/svg+xml", "an SVG image")
XML = Content("application/xml", "XML markup")
WINDOWS_PROGRAM = Content("application/vnd.microsoft.portable-executable", "a Windows program")
UNKNOWN = Content("application/octet-stream", "unrecognised binary data")

DOCX = Content("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a Word document")
XLSX = Content("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "an Excel workbook")
PPTX = Content("application/vnd.openxmlformats-officedocument.presentationml.presentation", "a PowerPoint presentation")
# The main part's content type in [Content_Types].xml names the document kind; macro-enabled ones are
# recognised so they are refused by name instead of passing as their macro-free cousins.
_OFFICE_MAIN_PARTS = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
    b"application/vnd.ms-word.document.macroEnabled.main+xml":
        Content("application/vnd.ms-word.document.macroEnabled.12", "a macro-enabled Word document"),
    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml":
        Content("application/vnd.ms-excel.sheet.macroEnabled.12", "a macro-enabled Excel workbook"),
    b"application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml":
        Content("application/vnd.ms-powerpoint.presentation.macroEnabled.12", "a macro-enabled PowerPoint presentation"),
}
OUTLOOK_MESSAGE = Content("application/vnd.ms-outlook", "an Outlook message")
LEGACY_OFFICE = Content("application/x-ole-storage", "a legacy Office (OLE) document")
# Every Outlook .msg has this stream; legacy Word/Excel files (which can carry macros) do not.
_MSG_STREAM = "__properties_version1.0".encode("utf-16-le")

# Types puremagic recognises that we name ourselves; anything else it knows is named by puremagic.
_BY_SIGNATURE = {content.mime: content for content in (PNG, JPEG, GIF, WEBP, PDF, WINDOWS_PROGRAM, SVG, HTML, XML)}

# Where WHATWG's MIME sniffing would call a resource HTML or XML (after whitespace), plus <svg.
_MARKUP = re.compile(
    rb"\s*(?:<\?xml|<svg[\s>/]|<!--|<!doctype\s+html[\s>]|"
    rb"<(?:html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p)[\s>/])",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_EMAIL_FIELDS = {b"from", b"to", b"subject", b"date", b"message-id", b"received", b"return-path", b"mime-version"}

_ZIP_FAMILY = frozenset({ZIP.mime} | {content.mime for content in _OFFICE_MAIN_PARTS.values()})
_TEXT_FAMILY = frozenset({PLAIN_TEXT.mime, JSON.mime, EMAIL.mime})

# Extension -> what its content must be. Text extensions accept any text and are stored with their
# own text type; a .zip accepts Office files too, since they are ZIP archives.
FORMATS = {
    "png": Format.of(PNG),
    "jpg": Format.of(JPEG),
    "jpeg": Format.of(JPEG),
    "gif": Format.of(GIF),
    "webp": Format.of(WEBP),
    "pdf": Format.of(PDF),
    "zip": Format.of(ZIP, _ZIP_FAMILY),
    "docx": Format.of(DOCX),
    "xlsx": Format.of(XLSX),
    "pptx": Format.of(PPTX),
    "msg": Format.of(OUTLOOK_MESSAGE),
    "txt": Format("text/plain", "UTF-8 plain text", _TEXT_FAMILY),
    "log": Format("text/plain", "UTF-8 plain text", _TEXT_FAMILY),
    "csv": Format("text/csv", "UTF-8 CSV text", _TEXT_FAMILY),
    "json": Format.of(JSON),
    "eml": Format.of(EMAIL),
}


def sniff(file) -> Content:
    """The type of ``file`` (an open binary file or Django upload) from its bytes; leaves it at offset 0."""
    try:
        head = _read(file, _CHUNK)
        if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            return _zip_content(file)
        if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            return OUTLOOK_MESSAGE if _contains(file, _MSG_STREAM) else LEGACY_OFFICE
        if head[:2] == b"MZ":
            # puremagic ranks DLL-shaped plug-ins above "program"; they all run on Windows.
            return WINDOWS_PROGRAM
        if _MARKUP.match(head.removeprefix(codecs.BOM_UTF8)):
            return _markup_content(head)
        recognised = _puremagic(head)
        if recognised in _BY_SIGNATURE.values():
            return recognised
        text = _text_content(file, head)
        if text is not None:
            return text
        # Named as puremagic knows it, typed as nothing we admit (its guess was not verified).
        return Content(UNKNOWN.mime, recognised.label) if recognised else UNKNOWN
    finally:
        file.seek(0)


def check(file, extension: str) -> Format:
    """The format ``extension`` promises, once the content is shown to keep it; ContentMismatch otherwise."""
    expected = FORMATS[extension]
    content = sniff(file)
    if not expected.admits(content):
        raise ContentMismatch(content, expected)
    return expected


def _read(file, size: int) -> bytes:
    file.seek(0)
    return file.read(size)


def _chunks(file):
    file.seek(0)
    while chunk := file.read(_CHUNK):
        yield chunk


def _contains(file, needle: bytes) -> bool:
    tail = b""
    for chunk in _chunks(file):
        if needle in tail + chunk:
            return True
        tail = chunk[-len(needle):]
    return False


def _puremagic(head: bytes) -> Content | None:
    """puremagic's best guess; among equally confident guesses, a type we name wins (their order is arbitrary)."""
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    if not matches:
        return None
    best = [match for match in matches if match.confidence == matches[0].confidence]
    for match in best:
        if match.mime_type in _BY_SIGNATURE:
            return _BY_SIGNATURE[match.mime_type]
    return Content(best[0].mime_type or "application/octet-stream", best[0].name or "an unrecognised format")


def _markup_content(head: bytes) -> Content:
    start = head.removeprefix(codecs.BOM_UTF8).lstrip().lower()
    if start.startswith(b"<svg") or (start.startswith(b"<?xml") and b"<svg" in start):
        return SVG
    return XML if start.startswith(b"<?xml") else HTML


def _zip_content(file) -> Content:
    try:
        with zipfile.ZipFile(file) as archive:
            try:
                info = archive.getinfo("[Content_Types].xml")
            except KeyError:
                return ZIP
            if info.file_size > 1024 * 1024:
                return ZIP
            manifest = archive.read(info)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError):
        return DAMAGED_ZIP
    for main_part, content in _OFFICE_MAIN_PARTS.items():
        if main_part in manifest:
            return content
    return ZIP


def _text_content(file, head: bytes) -> Content | None:
    """Plain text, JSON or an email (RFC 5322 header block) when the bytes are text; None otherwise."""
    if _is_email(file, head):
        return EMAIL
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    starts_like_json = head.lstrip(codecs.BOM_UTF8 + b" \t\r\n")[:1] in (b"{", b"[")
    parts = []
    try:
        for chunk in _chunks(file):
            if b"\x00" in chunk:
                return None
            decoded = decoder.decode(chunk)
            if starts_like_json:
                parts.append(decoded)
        parts.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        return None
    if starts_like_json:
        try:
            json.loads("".join(parts))
            return JSON
        except ValueError:
            pass
    return PLAIN_TEXT


def _is_email(file, head: bytes) -> bool:
    """Header lines up to the first blank line, with at least one field every message has.

    The body is not required to be UTF-8: 8-bit mail in other charsets is still mail."""
    block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    lines = block.splitlines()
    if not lines or not _HEADER_LINE.match(lines[0]):
        return False
    names = set()
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            continue
        if not _HEADER_LINE.match(line):
            return False
        names.add(line.split(b":", 1)[0].lower())
    return bool(names & _EMAIL_FIELDS) and not _contains(file, b"\x00")
