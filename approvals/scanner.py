"""The approvals tick: reminders and timeouts of approval stages, from the public due index.

As the SLA scanner does for clocks (``sla/scanner.py``): no ETA task per stage; each pending
stage with a reminder or a timeout ahead has one ``approvals_due.DueStage`` row with its next
due moment, written with the stage. The tick finds due rows without locks, then per tenant
takes up to ``CHUNK_SIZE`` of them with ``FOR UPDATE SKIP LOCKED`` in one transaction, so its
cost follows the due work, and any number of workers can tick at once without taking the
same stage twice.

Exactly once: the stage's reminder count, next reminder and timeout stamp are updated in the
transaction that holds its due row, so a second tick, a second worker or a redelivered task
finds nothing due. A chunk that fails is rolled back and retried stage by stage; a stage that
fails again is looked at after ``RETRY_DELAY``.

Lock order: ticket writes (decisions) take ticket -> approval -> stage -> due row; the tick
already holds due rows, so it takes tickets with SKIP LOCKED and never waits: a ticket being
saved is looked at again after ``BUSY_DELAY``.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from functools import partial

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from approvals import services
from approvals.due.models import DueStage, PendingMail
from approvals.models import Approval, ApprovalStage
from tickets.services import timeline_in_bulk

logger = logging.getLogger(__name__)
BATCH_SIZE = 1000
CHUNK_SIZE = 200
RETRY_DELAY = timedelta(minutes=5)
BUSY_DELAY = timedelta(seconds=5)


def tick(*, now: datetime | None = None, batch_size: int = BATCH_SIZE, chunk_size: int = CHUNK_SIZE,
         max_rounds: int = 100) -> Counter:
    """Process every due stage of every tenant; returns what was done, counted ({"reminder": 3, ...})."""
    from tenants.models import Tenant

    now = now or timezone.now()
    done: Counter = Counter()
    seen: set[tuple[str, int]] = set()
    try:
        done["mail resent"] = resend_lost_mail(now)
        for _ in range(max_rounds):
            connection.set_schema_to_public()
            candidates = (DueStage.objects.filter(due_at__lte=now).order_by("due_at")
                          .values_list("schema_name", "stage_id")[:batch_size + len(seen)])
            rows = [row for row in candidates if row not in seen][:batch_size]
            if not rows:
                break
            seen.update(rows)
            schemas = sorted({schema for schema, _ in rows})
            tenants = {t.schema_name: t for t in Tenant.objects.filter(schema_name__in=schemas)}
            for schema in set(schemas) - set(tenants):  # a deleted tenant's rows are orphans
                DueStage.objects.filter(schema_name=schema).delete()
            for schema in schemas:
                if schema in tenants:
                    while True:
                        taken = _process_chunk(tenants[schema], chunk_size, now, done)
                        if taken < chunk_size:
                            break
    finally:
        connection.set_schema_to_public()
    return +done  # without the zero counts


def resend_lost_mail(now: datetime, *, limit: int = 1000) -> int:
    """Mail committed but still unsent after ``services.RESEND_AFTER``: enqueued again, once per tenant and kind.

    The mail task takes each request's outbox row under lock, so a task that was only late mails no one twice.
    """
    from tenants.models import Tenant

    connection.set_schema_to_public()
    with transaction.atomic():
        rows = list(PendingMail.objects.select_for_update(skip_locked=True).filter(due_at__lte=now).order_by()
                    .values_list("pk", "schema_name", "kind", "request_id")[:limit])
        if not rows:
            return 0
        PendingMail.objects.filter(pk__in=[row[0] for row in rows]).update(due_at=now + services.RESEND_AFTER)
        by_tenant: dict[tuple[str, str], list[int]] = defaultdict(list)
        for _, schema, kind, request_id in rows:
            by_tenant[(schema, kind)].append(request_id)
        tenants = {t.schema_name: t for t in Tenant.objects.filter(schema_name__in={s for s, _ in by_tenant})}
        gone = {schema for schema, _ in by_tenant} - set(tenants)
        if gone:  # deleted tenants: nothing left to mail
            PendingMail.objects.filter(schema_name__in=gone).delete()
        for (schema, kind), ids in by_tenant.items():
            if schema in tenants:
                logger.warning("approval mail re-sent", extra={"tenant": schema, "kind": kind, "requests": len(ids)})
                transaction.on_commit(partial(services.enqueue_mail, tenants[schema], kind, ids))
    return len(rows)


def _lock_due(schema: str, now: datetime, limit: int, stage_ids=None) -> list[int]:
    rows = DueStage.objects.select_for_update(skip_locked=True).filter(schema_name=schema, due_at__lte=now)
    if stage_ids is not None:
        rows = rows.filter(stage_id__in=stage_ids)
    return list(rows.order_by("due_at").values_list("stage_id", flat=True)[:limit])


def _process_chunk(tenant, chunk_size: int, now: datetime, done: Counter) -> int:
    stage_ids: list[int] = []
    try:
        try:
            with transaction.atomic():
                stage_ids = _lock_due(tenant.schema_name, now, chunk_size)
                if stage_ids:
                    connection.set_tenant(tenant)
                    # The chunk's timeline entries, due rows and mail each written once, at its end.
                    with services.mail_in_bulk(), services.due_in_bulk(), timeline_in_bulk():
                        done.update(process_stages(stage_ids, now=now))
                return len(stage_ids)
        except Exception:
            logger.exception("approvals tick failed for a chunk; retrying its stages one by one",
                             extra={"tenant": tenant.schema_name, "stages": len(stage_ids)})
        connection.set_tenant(tenant)
        for stage_id in stage_ids:
            try:
                with transaction.atomic():
                    if _lock_due(tenant.schema_name, now, 1, [stage_id]):
                        done.update(process_stages([stage_id], now=now))
            except Exception:
                logger.exception("approval stage failed; retrying later",
                                 extra={"tenant": tenant.schema_name, "stage": stage_id})
                DueStage.objects.filter(schema_name=tenant.schema_name, stage_id=stage_id).update(
                    due_at=now + RETRY_DELAY)
        return min(len(stage_ids), chunk_size - 1)
    finally:
        connection.set_schema_to_public()


def process_stages(stage_ids: list[int], *, now: datetime) -> Counter:
    """Due stages of the current tenant whose due rows this transaction holds."""
    schema = connection.schema_name
    done: Counter = Counter()
    refs = {pk: (label, ticket_id) for pk, label, ticket_id in ApprovalStage.objects.filter(pk__in=stage_ids)
            .values_list("pk", "approval__ticket_type", "approval__ticket_id")}
    for stage_id in set(stage_ids) - set(refs):  # the stage is gone
        DueStage.objects.filter(schema_name=schema, stage_id=stage_id).delete()
    by_type: dict[str, set[int]] = defaultdict(set)
    for label, ticket_id in refs.values():
        by_type[label].add(ticket_id)
    tickets = {}
    for label, ids in by_type.items():
        rows = (apps.get_model(label).objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk__in=ids).select_related("requester__manager").order_by("pk"))
        tickets.update({(label, t.pk): t for t in rows})
    ready = [pk for pk, ref in refs.items() if ref in tickets]
    busy = set(refs) - set(ready)
    if busy:
        DueStage.objects.filter(schema_name=schema, stage_id__in=busy).update(due_at=now + BUSY_DELAY)
    # The tickets are held, so nobody else can be writing these approvals and stages.
    stages = {s.pk: s for s in ApprovalStage.objects.select_for_update(of=("self",)).filter(pk__in=ready)
              .select_related("calendar", "escalate_to").order_by("pk")}
    approvals = {a.pk: a for a in Approval.objects.select_for_update()
                 .filter(pk__in={s.approval_id for s in stages.values()}).order_by("pk")}
    for stage in stages.values():
        approval = approvals[stage.approval_id]
        ticket = tickets[(approval.ticket_type, approval.ticket_id)]
        result = services.process_due_stage(ticket, approval, stage, now=now)
        if result:
            done[result] += 1
            logger.info("approval stage due work done", extra={"tenant": schema, "stage": stage.pk, "action": result})
    return done
