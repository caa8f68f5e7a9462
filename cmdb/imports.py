"""CSV and JSON imports into the CMDB: the file checked whole, then reconciled row by row in chunks.

``start_import`` checks the upload (``cmdb.import_files``: size before anything is read, then encoding,
columns and row count),
stores it under the tenant's path and queues ``cmdb.tasks.run_import`` once the job is committed;
``run`` does the work, in chunks of ``CHUNK_ROWS`` rows, each one transaction:

1. each row is parsed and checked (``cmdb.import_rows``: class, choices, identifiers, group, owner; then
   its attributes against the class) and matched by the identification rules (``cmdb.reconcile``) against
   the chunk's candidate CIs, fetched and locked in a query per identifier; a row that fails is rejected with its reasons and writes nothing;
2. the good rows are written set-based (``cmdb.bulk``): inserts, updates with their history, sightings;
3. if that write fails (a row the checks could not foresee), it is rolled back to its savepoint and the
   chunk's rows go through ``cmdb.services`` one by one, each in a savepoint of its own.

The job's counts are written after every chunk (the desk polls them). Re-running a job or a file is
idempotent: rows whose values are already there count as unchanged, write no history, and are only
stamped as seen by the source. An empty cell (or a JSON null) leaves a CI's value as it is.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass

from django.core.files.base import ContentFile, File
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from cmdb import attributes as attribute_rules
from cmdb import bulk, events, queries, reconcile, services
from cmdb.import_files import Source, check_size, format_for, inspect, rows_of
from cmdb.import_rows import Resolver, parse_row
from cmdb.models import CI, CIClass, ImportJob, ImportRejection
from core.exceptions import TicketError, ValidationFailed
from tickets.services import SystemActor

logger = logging.getLogger(__name__)

CHUNK_ROWS = 1000
SOURCE_MAX = 60
IMPORTER = SystemActor("cmdb import")


def _check_source(source) -> str:
    source = (source or "").strip() if isinstance(source, str) else ""
    if not source:
        raise ValidationFailed("Name the source.", fields={"source": [
            "Name the discovery source the rows come from (e.g. “SCCM”, “AWS inventory”)."]})
    if len(source) > SOURCE_MAX:
        raise ValidationFailed("The source name is too long.", fields={"source": [f"At most {SOURCE_MAX} characters."]})
    return source


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
    growth = _Growth()
    chunk = []
    for item in rows_of(fileobj, job.format, inspected):
        chunk.append(item)
        if len(chunk) >= CHUNK_ROWS:
            _run_chunk(context, chunk)
            growth.check(job.inserted)
            chunk = []
    if chunk:
        _run_chunk(context, chunk)


class _Growth:
    """ANALYZE the CI table when an import has grown it by half since its statistics were taken.

    The chunk queries run often with the same text, so the driver prepares them and PostgreSQL may keep
    one generic plan; made while the table was small (a tenant's first discovery load), that plan scans
    the table, and each chunk then costs more than the last. New statistics re-plan them. Geometric
    steps: a few ANALYZEs (a sample, not the table) for any size of import.
    """

    def __init__(self):
        self.base = max(self._estimate(), 0)
        self.analysed_at = 0

    @staticmethod
    def _estimate() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'cmdb_ci'::regclass")
            return cursor.fetchone()[0]

    def check(self, inserted: int) -> None:
        grown = inserted - self.analysed_at
        if grown >= 5 * CHUNK_ROWS and grown >= (self.base + self.analysed_at) // 2:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE cmdb_ci")
            self.analysed_at = inserted


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
        _through_services_if_mirrored(plan)
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


def _through_services_if_mirrored(plan: Plan) -> None:
    """Updates of CIs a floor above mirrors (an asset) go row by row through ``cmdb.services``, whose event
    keeps the mirror in step (or refuses the row); the set-based write would bypass it."""
    mirrored = events.mirrored(ci.pk for _, ci, _ in plan.updates)
    if mirrored:
        plan.later = sorted([*plan.later, *(row for row, ci, _ in plan.updates if ci.pk in mirrored)],
                            key=lambda row: row.number)
        plan.updates = [update for update in plan.updates if update[1].pk not in mirrored]


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
    source, when = context.job.source, context.seen_at
    # Written with the row, so the sighting's stamp below rewrites only the unchanged CIs.
    for ci in [ci for _, ci in plan.inserts] + [ci for _, ci, _ in plan.updates]:
        ci.last_seen_at = max(ci.last_seen_at, when) if ci.last_seen_at else when
    bulk.insert_cis([ci for _, ci in plan.inserts], by=context.by, source=source)
    bulk.update_cis([(ci, changes) for _, ci, changes in plan.updates], by=context.by, source=source)
    seen = [ci.pk for _, ci in plan.inserts] + [ci.pk for _, ci, _ in plan.updates] + [ci.pk for _, ci in plan.unchanged]
    bulk.record_sightings(seen, source, when, stamp_ids=[ci.pk for _, ci in plan.unchanged])


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
