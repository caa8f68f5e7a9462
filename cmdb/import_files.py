"""Reading an import's file: checked whole first (size, encoding, header, shape, row count), then its rows.

A file-level problem is a ``ValidationFailed`` on ``file`` naming it (the upload is refused, or a job whose
stored file went bad fails); a row-level one (a ragged CSV row, a JSON item that is no object) is handed
on with the row, to be rejected on its own.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass

from django.conf import settings as django_settings

from cmdb.models import ImportJob
from core.exceptions import ValidationFailed

COLUMNS = ("class", "name", "status", "environment", "criticality", "description", "serial_number", "fqdn",
           "ip_addresses", "mac_addresses", "cloud_id", "support_group", "owner")
REQUIRED_COLUMNS = ("class", "name")
ATTRIBUTE_PREFIX = "attr."

def max_bytes() -> int:
    return django_settings.CMDB_IMPORT_MAX_BYTES


def max_rows() -> int:
    return django_settings.CMDB_IMPORT_MAX_ROWS


def _file_error(message: str) -> ValidationFailed:
    return ValidationFailed(f"The file cannot be imported: {message}", fields={"file": [message]})


def format_for(filename: str, chosen: str = "") -> str:
    """The format a user chose, else the one the file's extension names."""
    if chosen:
        if chosen not in ImportJob.Format.values:
            raise ValidationFailed("Unknown format.", fields={"format": ["Choose CSV or JSON."]})
        return chosen
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if extension not in ImportJob.Format.values:
        raise ValidationFailed("Say which format the file is in.", fields={
            "format": [f"“{filename}” does not end in .csv or .json: choose the format."]})
    return extension


@dataclass
class Source:
    """A file's rows as (row number, values or None, problem) and its header, once the file is checked."""

    total: int
    header: list[str]


def _raw(fileobj):
    """The binary stream under Django's File wrappers (TextIOWrapper needs a real one)."""
    while not isinstance(fileobj, io.IOBase) and getattr(fileobj, "file", None) is not None:
        fileobj = fileobj.file
    return fileobj


def _csv_reader(fileobj):
    fileobj = _raw(fileobj)
    fileobj.seek(0)
    text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", errors="strict", newline="")
    return text, csv.reader(text, strict=True)


def _decode_problem(error: UnicodeDecodeError) -> str:
    return (f"it is not UTF-8 text (byte 0x{error.object[error.start]:02x} cannot be read). "
            "Save it as “CSV UTF-8”.")


def _check_header(header: list[str]) -> list[str]:
    names = [cell.strip() for cell in header]
    names = [name if name.lower().startswith(ATTRIBUTE_PREFIX) else name.lower() for name in names]
    if not any(names):
        raise _file_error("the first line must be a header naming the columns (at least class and name).")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise _file_error(f"the header has no {' and no '.join(missing)} column "
                          f"(it has: {', '.join(name for name in names if name) or 'nothing'}).")
    unknown = [name for name in names if name not in COLUMNS
               and not (name.startswith(ATTRIBUTE_PREFIX) and len(name) > len(ATTRIBUTE_PREFIX))]
    if unknown:
        raise _file_error(f"unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(name or '(blank)' for name in unknown)}. "
                          f"Known: {', '.join(COLUMNS)}, and attr.<name> for attributes.")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise _file_error(f"the column{'s' if len(duplicates) > 1 else ''} {', '.join(duplicates)} "
                          "appear more than once.")
    return names


def inspect(fileobj, format: str) -> Source:
    """Check the whole file without importing anything: encoding, header, shape, row count."""
    if format == ImportJob.Format.JSON:
        return Source(total=len(_json_rows(fileobj)), header=[])
    text, reader = _csv_reader(fileobj)
    try:
        header = next(reader, None)
        if header is None:
            raise _file_error("it is empty; the first line must be a header naming the columns.")
        names = _check_header(header)
        total = 0
        for _ in reader:
            total += 1
            if total > max_rows():
                raise _file_error(f"it has more than {max_rows():,} rows; split it into smaller files.")
    except UnicodeDecodeError as error:
        raise _file_error(_decode_problem(error)) from None
    except csv.Error as error:
        raise _file_error(f"it is not valid CSV near line {reader.line_num}: {error}.") from None
    finally:
        text.detach()
    if total == 0:
        raise _file_error("it has a header but no rows.")
    return Source(total=total, header=names)


def _json_rows(fileobj) -> list:
    fileobj.seek(0)
    raw = fileobj.read()
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        rows = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise _file_error(_decode_problem(error)) from None
    except json.JSONDecodeError as error:
        raise _file_error(f"it is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}).") from None
    if not isinstance(rows, list):
        raise _file_error("it must be a JSON array of objects, one per CI.")
    if not rows:
        raise _file_error("the array has no rows.")
    if len(rows) > max_rows():
        raise _file_error(f"it has more than {max_rows():,} rows; split it into smaller files.")
    return rows


def rows_of(fileobj, format: str, source: Source):
    """(row number, values, problem) for each data row; a problem is a row-level refusal (a ragged row)."""
    if format == ImportJob.Format.JSON:
        for number, row in enumerate(_json_rows(fileobj), start=1):
            if not isinstance(row, dict):
                yield number, {"value": row}, {"row": ["Each row must be a JSON object of column: value."]}
            else:
                yield number, row, None
        return
    text, reader = _csv_reader(fileobj)
    try:
        next(reader)
        width = len(source.header)
        for number, cells in enumerate(reader, start=1):
            if len(cells) != width:
                if not any(cell.strip() for cell in cells):
                    yield number, {"cells": cells}, {"row": ["The row is empty."]}
                else:
                    yield number, {"cells": cells}, {"row": [
                        f"The row has {len(cells)} cell{'s' if len(cells) != 1 else ''}; the header has {width}."]}
                continue
            yield number, dict(zip(source.header, cells)), None
    finally:
        text.detach()


FORM_SLACK = 64 * 1024  # what a multipart body may carry besides the file (the boundaries, the source)


def check_size(size, *, slack: int = 0) -> None:
    """Refuse a file above the limit from its declared size, before a byte of it is read."""
    if size is not None and size > max_bytes() + slack:
        raise _file_error(f"it is {_megabytes(size)}; the limit is {_megabytes(max_bytes())}. "
                          "Split it into smaller files.")


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size:,} bytes"
    return f"{size / 1024 / 1024:,.1f} MB"
