"""CSV and JSON imports into the CMDB: the file checked whole, then reconciled row by row in chunks.

``start_import`` checks the upload (size before anything is read, then encoding, columns and row count),
stores it under the tenant's path and queues ``cmdb.tasks.run_import`` once the job is committed;
``run`` does the work, in chunks of ``CHUNK_ROWS`` rows, each one transaction:

1. each row is parsed and checked (class, choices, identifiers, group, owner, attributes against the
   class) and matched by the identification rules (``cmdb.reconcile``) against the chunk's candidate CIs,
   fetched and locked in one query; a row that fails is rejected with its reasons and writes nothing;
2. the good rows are written set-based (``cmdb.bulk``): inserts, updates with their history, sightings;
3. if that write fails (a row the checks could not foresee), it is rolled back to its savepoint and the
   chunk's rows go through ``cmdb.services`` one by one, each in a savepoint of its own.

The job's counts are written after every chunk (the desk polls them). Re-running a job or a file is
idempotent: rows whose values are already there count as unchanged, write no history, and are only
stamped as seen by the source. An empty cell (or a JSON null) leaves a CI's value as it is.
"""

from __future__ import annotations

import codecs
import csv
import io
import ipaddress
import json
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile, File
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import AssignmentGroup
from cmdb import attributes as attribute_rules
from cmdb import bulk, queries, reconcile, services
from cmdb.models import CI, CIClass, ImportJob, ImportRejection
from core.exceptions import TicketError, ValidationFailed
from tickets.services import SystemActor

logger = logging.getLogger(__name__)

CHUNK_ROWS = 1000
SOURCE_MAX = 60
COLUMNS = ("class", "name", "status", "environment", "criticality", "description", "serial_number", "fqdn",
           "ip_addresses", "mac_addresses", "cloud_id", "support_group", "owner")
REQUIRED_COLUMNS = ("class", "name")
ATTRIBUTE_PREFIX = "attr."
IMPORTER = SystemActor("cmdb import")
TEXT_LIMITS = {name: CI._meta.get_field(name).max_length for name in ("name", "serial_number", "fqdn", "cloud_id")}


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


# -- reading the file --------------------------------------------------------------------------------

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


# -- one row -> a reconcile.Row ----------------------------------------------------------------------

class Resolver:
    """Lookups a whole import shares (classes, groups, owners, attribute definitions), read once each."""

    def __init__(self):
        self.classes = {}
        for ci_class in CIClass.objects.all():
            self.classes[ci_class.key.lower()] = ci_class
            self.classes.setdefault(ci_class.name.lower(), ci_class)
        self.classes_by_id = {ci_class.pk: ci_class for ci_class in self.classes.values()}
        self.groups = {group.name.lower(): group for group in AssignmentGroup.objects.all()}
        self._owners: dict[str, object] = {}
        self._definitions: dict[int, list] = {}
        self._references: dict[tuple, int | None] = {}

    def owner(self, email: str):
        key = email.lower()
        if key not in self._owners:
            self._owners[key] = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        return self._owners[key]

    def definitions(self, ci_class: CIClass) -> list:
        if ci_class.pk not in self._definitions:
            self._definitions[ci_class.pk] = queries.definitions_for(ci_class)
        return self._definitions[ci_class.pk]

    def reference(self, definition, value):
        key = (definition.pk, value)
        if key not in self._references:
            self._references[key] = queries.resolve_reference(definition, value)
        return self._references[key]

    def clean_attributes(self, ci_class: CIClass, values: dict, *, text_input: bool) -> dict:
        return attribute_rules.validate(self.definitions(ci_class), values, self.reference, text_input=text_input)


def _spellings(choices) -> dict:
    """Each choice by its key, its label and (criticality) the label's word: "1", "1 - critical", "critical"."""
    found = {}
    for key, display in choices:
        for text in (str(key), display, display.partition(" - ")[2]):
            if text:
                found[text.lower()] = key
    return found


CHOICES = {"status": (_spellings(CI.Status.choices), CI.Status.values),
           "environment": (_spellings(CI.Environment.choices), CI.Environment.values),
           "criticality": (_spellings(CI.Criticality.choices), CI.Criticality.values)}


def _choice(value: str, errors, name):
    spellings, keys = CHOICES[name]
    found = spellings.get(value.lower())
    if found is None:
        errors[name] = [f"{name.capitalize()} must be one of: {', '.join(str(key) for key in keys)}."]
    return found


def _addresses(value, errors, name):
    items = value.replace(";", " ").split() if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        errors[name] = ["Give the addresses as text separated by ; or spaces (JSON: a list of text)."]
        return None
    if name == "mac_addresses":
        return [item.strip() for item in items if item.strip()]
    cleaned = []
    for item in items:
        try:
            cleaned.append(str(ipaddress.ip_address(item.strip())))
        except ValueError:
            errors.setdefault(name, []).append(f"{item!r} is not an IP address.")
    return cleaned


def parse_row(number: int, values: dict, resolver: Resolver, *, text_input: bool) -> reconcile.Row:
    """The row's CI fields and attributes, or ValidationFailed naming each bad field."""
    errors: dict[str, list[str]] = {}
    fields: dict = {}
    raw_attributes: dict = {}
    for key, value in values.items():
        if key.startswith(ATTRIBUTE_PREFIX):
            if value is not None and value != "":
                raw_attributes[key[len(ATTRIBUTE_PREFIX):]] = value
            continue
        if key == "attributes" and not text_input:
            if value is None:
                continue
            if not isinstance(value, dict):
                errors["attributes"] = ["Must be an object of name: value."]
            else:
                raw_attributes.update({k: v for k, v in value.items() if v is not None and v != ""})
            continue
        if key not in COLUMNS:
            errors[key] = ["Unknown column."]
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # not given: leave the CI's value as it is
        if key in ("ip_addresses", "mac_addresses"):
            fields[key] = _addresses(value, errors, key)
            continue
        if key == "criticality" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            errors[key] = ["Give this as text."]
            continue
        value = value.strip()
        if key == "class":
            fields["ci_class"] = resolver.classes.get(value.lower())
            if fields["ci_class"] is None:
                errors["class"] = [f"No CI class “{value}” (give a class key or name)."]
        elif key in CHOICES:
            fields[key] = _choice(value, errors, key)
        elif key == "support_group":
            fields["support_group"] = resolver.groups.get(value.lower())
            if fields["support_group"] is None:
                errors[key] = [f"No assignment group “{value}”."]
        elif key == "owner":
            fields["owner_user"] = resolver.owner(value)
            if fields["owner_user"] is None:
                errors[key] = [f"No active user with the email {value}."]
        else:
            if key in TEXT_LIMITS and len(value) > TEXT_LIMITS[key]:
                errors[key] = [f"At most {TEXT_LIMITS[key]} characters."]
            elif "\x00" in value:
                errors[key] = ["Text may not contain a NUL character."]
            fields[key] = value
    for name in REQUIRED_COLUMNS:
        if name not in errors and not fields.get("ci_class" if name == "class" else name):
            errors[name] = ["Required."]
    if not errors:
        try:
            fields = services.normalise(fields)
        except ValidationFailed as error:
            errors.update(error.fields)
    if errors:
        raise ValidationFailed("The row is not valid.", fields=errors)
    return reconcile.Row(number=number, data=values, fields=fields, attributes=raw_attributes)


# -- starting and running a job ------------------------------------------------------------------------

def _check_source(source) -> str:
    source = (source or "").strip() if isinstance(source, str) else ""
    if not source:
        raise ValidationFailed("Name the source.", fields={"source": [
            "Name the discovery source the rows come from (e.g. “SCCM”, “AWS inventory”)."]})
    if len(source) > SOURCE_MAX:
        raise ValidationFailed("The source name is too long.", fields={"source": [f"At most {SOURCE_MAX} characters."]})
    return source


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


def start_import(*, by, source: str, format: str, filename: str, fileobj) -> ImportJob:
    """Check and store the file, create the job and queue its run after commit; refuses, storing nothing."""
    services.check_can_edit(by)
    source = _check_source(source)
    filename = (filename or "import").replace("/", "_").replace("\\", "_")[-200:]
    format = format_for(filename, format)
    check_size(getattr(fileobj, "size", None))
    inspected = inspect(fileobj, format)
    with transaction.atomic():
        job = ImportJob(token=secrets.token_hex(16), source=source, format=format, filename=filename,
                        total_rows=inspected.total, created_by=by if getattr(by, "pk", None) else None)
        fileobj.seek(0)
        job.file.save(filename, fileobj if isinstance(fileobj, File) else File(fileobj, name=filename), save=False)
        job.save()
        enqueue(job)
    return job


def start_rows_import(*, by, source: str, rows) -> ImportJob:
    """An integrator's JSON body: the rows are stored as a JSON file and imported like an upload."""
    return start_import(by=by, source=source, format=ImportJob.Format.JSON, filename="rows.json",
                        fileobj=ContentFile(json.dumps(rows).encode(), name="rows.json"))


def enqueue(job: ImportJob) -> None:
    from cmdb.tasks import run_import

    schema = connection.schema_name
    transaction.on_commit(lambda: run_import.delay(schema, job.pk))


def run_again(job: ImportJob, *, by) -> ImportJob:
    """Queue a finished job again (idempotent: what is already there counts as unchanged)."""
    services.check_can_edit(by)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
            raise ValidationFailed("The import is still running.", fields={"status": ["Wait until it has finished."]})
        job.status = ImportJob.Status.QUEUED
        job.error = ""
        job.save(update_fields=["status", "error"])
        enqueue(job)
    return job


COUNTS = ("processed_rows", "inserted", "updated", "unchanged", "rejected")


def run(job: ImportJob) -> ImportJob:
    """Import the job's file (the Celery task's work); a file-level problem or a crash marks it failed."""
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=timezone.now(),
                                               finished_at=None, error="", **{name: 0 for name in COUNTS})
    ImportRejection.objects.filter(job=job).delete()
    job.refresh_from_db()
    try:
        with job.file.open("rb") as fileobj:
            inspected = inspect(fileobj, job.format)
            ImportJob.objects.filter(pk=job.pk).update(total_rows=inspected.total)
            job.total_rows = inspected.total
            _import(job, fileobj, inspected)
    except ValidationFailed as error:
        _finish(job, ImportJob.Status.FAILED, error=error.message)
    except Exception as error:
        logger.exception("cmdb import failed", extra={"job": job.pk})
        _finish(job, ImportJob.Status.FAILED, error=f"The import stopped: {error.__class__.__name__}: {error}")
        raise
    else:
        _finish(job, ImportJob.Status.DONE)
    return job


def _finish(job: ImportJob, status: str, *, error: str = "") -> None:
    job.status, job.error, job.finished_at = status, error, timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(status=status, error=error, finished_at=job.finished_at)


def _import(job: ImportJob, fileobj, inspected: Source) -> None:
    by = job.created_by if job.created_by_id and job.created_by.is_active and job.created_by.is_agent else IMPORTER
    context = Context(job=job, by=by, resolver=Resolver(), rules=reconcile.active_rules(
        queries.settings().identification_rules), text_input=job.format == ImportJob.Format.CSV,
        seen_at=timezone.now())
    chunk = []
    for item in rows_of(fileobj, job.format, inspected):
        chunk.append(item)
        if len(chunk) >= CHUNK_ROWS:
            _run_chunk(context, chunk)
            chunk = []
    if chunk:
        _run_chunk(context, chunk)


@dataclass
class Context:
    job: ImportJob
    by: object
    resolver: Resolver
    rules: list
    text_input: bool
    seen_at: object


@dataclass
class Plan:
    """What a chunk will write: new CIs, changed CIs with their changes, CIs only seen."""

    inserts: list
    updates: list
    unchanged: list
    rejections: list
    later: list  # rows that touch a CI an earlier row of the chunk touched: written one by one after


def _run_chunk(context: Context, chunk: list) -> None:
    counts = dict.fromkeys(COUNTS, 0)
    with transaction.atomic():
        rows, rejections = [], []
        for number, values, problem in chunk:
            if problem:
                rejections.append(ImportRejection(job=context.job, row_number=number, errors=problem, data=values))
                continue
            try:
                rows.append(parse_row(number, values, context.resolver, text_input=context.text_input))
            except ValidationFailed as error:
                rejections.append(_rejection(context.job, number, values, error))
        plan = _plan(context, rows)
        plan.rejections[:0] = rejections
        try:
            with transaction.atomic():
                _write(context, plan)
        except DatabaseError:
            logger.warning("cmdb import chunk fell back to row by row", extra={"job": context.job.pk}, exc_info=True)
            plan.later = sorted([*plan.later, *(r for r, _ in plan.inserts), *(r for r, _, _ in plan.updates),
                                 *(r for r, _ in plan.unchanged)], key=lambda row: row.number)
            plan.inserts, plan.updates, plan.unchanged = [], [], []
        counts["inserted"] = len(plan.inserts)
        counts["updated"] = len(plan.updates)
        counts["unchanged"] = len(plan.unchanged)
        for row in plan.later:
            try:
                with transaction.atomic():
                    outcome = _write_one(context, row)
                counts[outcome] += 1
            except TicketError as error:
                plan.rejections.append(_rejection(context.job, row.number, row.data, error))
        ImportRejection.objects.bulk_create(plan.rejections)
        counts["rejected"] = len(plan.rejections)
        counts["processed_rows"] = len(chunk)
        _add_counts(context.job, counts)


def _add_counts(job: ImportJob, counts: dict) -> None:
    from django.db.models import F

    ImportJob.objects.filter(pk=job.pk).update(**{name: F(name) + value for name, value in counts.items()})
    for name, value in counts.items():
        setattr(job, name, getattr(job, name) + value)


def _rejection(job, number, values, error: TicketError) -> ImportRejection:
    errors = {name: list(messages) for name, messages in (error.fields or {}).items()} or {"row": [error.message]}
    return ImportRejection(job=job, row_number=number, errors=errors, data=_jsonable(values))


def _jsonable(values):
    try:
        json.dumps(values)
        return values
    except (TypeError, ValueError):
        return {"value": repr(values)}


def _plan(context: Context, rows: list) -> Plan:
    plan = Plan(inserts=[], updates=[], unchanged=[], rejections=[], later=[])
    candidates = reconcile.Candidates(rows, lock=True, classes=context.resolver.classes_by_id)
    touched: set[int] = set()
    claimed: set = set()  # identifiers of the chunk's new CIs: a second row naming one waits for the first
    for row in rows:
        try:
            ci = reconcile.match(row, candidates, context.rules)
        except ValidationFailed as error:
            plan.rejections.append(_rejection(context.job, row.number, row.data, error))
            continue
        keys = {(rule, row.identifier(rule)) for rule in reconcile.CMDBSettings.RULES if row.identifier(rule)}
        if (ci is not None and ci.pk in touched) or keys & claimed:
            plan.later.append(row)
            continue
        try:
            if ci is None:
                plan.inserts.append((row, _new_ci(context, row)))
                claimed |= keys
                continue
            touched.add(ci.pk)
            changes = _apply(context, ci, row)
        except ValidationFailed as error:
            plan.rejections.append(_rejection(context.job, row.number, row.data, error))
            continue
        if changes:
            plan.updates.append((row, ci, changes))
        else:
            plan.unchanged.append((row, ci))
    return plan


def _new_ci(context: Context, row) -> CI:
    ci = CI(**row.fields)
    ci.attributes = context.resolver.clean_attributes(ci.ci_class, row.attributes, text_input=context.text_input)
    return ci


def _check_json_attributes(context: Context, ci_class: CIClass, row) -> None:
    """A JSON row's own attributes, strictly typed (the merge with the stored values below reads text)."""
    if not context.text_input and row.attributes:
        named = [d for d in context.resolver.definitions(ci_class) if d.name in row.attributes]
        attribute_rules.validate(named, row.attributes, context.resolver.reference, text_input=False)


def _apply(context: Context, ci: CI, row) -> list[dict]:
    """Set the row's values on ``ci`` (merging attributes) and return the changes (nothing set if none)."""
    ci_class = row.fields.get("ci_class", ci.ci_class)
    _check_json_attributes(context, ci_class, row)
    new_attributes = None
    if row.attributes or ci_class.pk != ci.ci_class_id:
        new_attributes = context.resolver.clean_attributes(ci_class, {**ci.attributes, **row.attributes},
                                                           text_input=True)
    changes = services.changes_between(ci, row.fields, new_attributes)
    if changes:
        for name, value in row.fields.items():
            setattr(ci, name, value)
        if new_attributes is not None:
            ci.attributes = new_attributes
    return changes


def _write(context: Context, plan: Plan) -> None:
    source = context.job.source
    bulk.insert_cis([ci for _, ci in plan.inserts], by=context.by, source=source)
    bulk.update_cis([(ci, changes) for _, ci, changes in plan.updates], by=context.by, source=source)
    seen = [ci.pk for _, ci in plan.inserts] + [ci.pk for _, ci, _ in plan.updates] + [ci.pk for _, ci in plan.unchanged]
    bulk.record_sightings(seen, source, context.seen_at)


def _write_one(context: Context, row) -> str:
    """One row through ``cmdb.services`` (the slow path): returns inserted, updated or unchanged."""
    ci = reconcile.match_one(row, context.rules)
    source, seen_at = context.job.source, context.seen_at
    if ci is None:
        services.create_ci(by=context.by, source=source, attributes=row.attributes, text_input=context.text_input,
                           seen_at=seen_at, **row.fields)
        return "inserted"
    _check_json_attributes(context, row.fields.get("ci_class", ci.ci_class), row)
    # text_input: the CI's stored values are merged in, and decimals are stored as text.
    _, changes = services.update_ci(ci, by=context.by, source=source, attributes=row.attributes or None,
                                    merge_attributes=True, text_input=True, seen_at=seen_at,
                                    **row.fields)
    return "updated" if changes else "unchanged"
