"""Small but real files of every attachment kind, for upload tests (built here, so no binary fixtures)."""

import base64
import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A 1x1 red pixel.
PNG = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
       + _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + _png_chunk(b"IEND", b""))
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////"
    "////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=")
GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")
WEBP = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")


def _pdf() -> bytes:
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>"]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF = _pdf()


def zip_of(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _office(main_part: str, main_type: str, main_xml: str) -> bytes:
    return zip_of({
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{main_part}" ContentType="{main_type}"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="' + main_part + '" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument"/></Relationships>'),
        main_part: main_xml,
    })


_OOXML = "application/vnd.openxmlformats-officedocument."
DOCX = _office("word/document.xml", _OOXML + "wordprocessingml.document.main+xml",
               '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
               "<w:body><w:p><w:r><w:t>Hi</w:t></w:r></w:p></w:body></w:document>")
XLSX = _office("xl/workbook.xml", _OOXML + "spreadsheetml.sheet.main+xml",
               '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>')
PPTX = _office("ppt/presentation.xml", _OOXML + "presentationml.presentation.main+xml",
               '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>')
DOCM = _office("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml",
               '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>')
ZIP = zip_of({"logs/app.log": "started\n", "logs/error.log": "disk full\n"})

# Not a complete compound file: the OLE signature plus the directory entry every Outlook message has,
# which is what tells a .msg from a legacy Word or Excel file.
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
MSG = _OLE + "__properties_version1.0".encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 448
LEGACY_DOC = _OLE + "WordDocument".encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 448

EML = (b"From: Ada <ada@alpha.test>\r\nTo: desk@alpha.test\r\nSubject: VPN down\r\n"
       b"Date: Tue, 1 Dec 2026 09:00:00 +0000\r\nMessage-ID: <1@alpha.test>\r\n\r\nIt drops every 5 minutes.\r\n")
TEXT = "Disk full at 03:12 — écrit en UTF-8\n".encode()
CSV = b"host,free_mb\nsrv1,12\nsrv2,0\n"
JSON = b'{"host": "srv1", "free_mb": 0}'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
# The first bytes of a Windows program (DOS stub, PE offset, PE header).
EXE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8" + b"\x00" * 43 + b"\x80\x00\x00\x00"
       + b"\x00" * 64 + b"PE\x00\x00L\x01" + b"\x00" * 200)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    # The browser's declared type is deliberately wrong: it must play no part.
    return SimpleUploadedFile(name, content, content_type="image/png")


def assert_served_as_download(response, *, name: str, content: bytes, content_type: str) -> None:
    """What every attachment download must be, desk or API: the sniffed type, never rendered, the same bytes."""
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == content
