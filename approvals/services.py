"""The approval engine's writes: start a chain on a ticket, decide, cancel, and the tick's reminders and timeouts.

Lock order everywhere: ticket -> approval -> stage -> request (-> the public due row), the
order ticket writes already take, so a decision never deadlocks with an agent's save. Two
approvers of an "any one" stage deciding at once queue on the ticket; the second finds the
stage decided and is refused, so a stage is never approved twice and never advances two stages.

Every decision and every stage change is a timeline entry (kind "approval") and an event
(``approvals.events``) published inside the transaction on the locked ticket. Mail to approvers
goes after commit (``approvals.tasks``).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import partial

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from approvals import conditions, delegation, events, subjects
from approvals.due.models import DueStage, PendingMail
from approvals.models import (
    Approval,
    ApprovalChainDefinition,
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStage,
    GroupMode,
    StageKind,
    TimeoutAction,
    new_nonce,
)
from core.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from sla import business_time
from sla.queries import schedule_for
from tickets.models import TimelineEntry, ticket_type_label
from tickets.services import SystemActor, record

ENGINE = SystemActor("approvals")
DECISIONS = ("approve", "reject", "info")
VIAS = tuple(ApprovalDecision.Via.values)
HOUR = 3600
_STAGE_COPY = ("order", "name", "kind", "user_id", "group_id", "group_mode", "quorum", "rule_condition",
               "skip_condition", "reminder_after_hours", "timeout_after_hours", "timeout_action", "escalate_to_id",
               "calendar_id")


# -- reading a ticket -------------------------------------------------------------------------------

def ticket_of(approval: Approval, *, lock: bool = False, skip_locked: bool = False):
    rows = apps.get_model(approval.ticket_type).objects.select_related("requester__manager")
    if lock:
        rows = rows.select_for_update(skip_locked=skip_locked, of=("self",))
    return rows.filter(pk=approval.ticket_id).first()


def _lock_ticket(ticket):
    return type(ticket).objects.select_for_update(of=("self",)).select_related("requester__manager").get(pk=ticket.pk)


def _note(ticket, *, by, body: str, event: str, approval: Approval, stage: ApprovalStage | None = None,
          public: bool = True, channel: str = "", **data) -> TimelineEntry:
    payload = {"approval": {"event": event, "approval_id": approval.pk, "chain": approval.chain_name,
                            "stage": getattr(stage, "order", None), "stage_name": getattr(stage, "name", ""), **data}}
    return record(ticket, kind=TimelineEntry.Kind.APPROVAL, by=by, is_public=public, body=body, data=payload,
                  channel=channel)


# -- the due index ------------------------------------------------------------------------------------

# Due-index writes made inside ``due_in_bulk``: {stage id: next due moment or None}, written at its end.
_due_batch: ContextVar[dict | None] = ContextVar("approval_due_batch", default=None)


def sync_due(stage: ApprovalStage) -> None:
    """Write the stage's row in the public due index (same transaction as the stage)."""
    due = stage.next_due()
    batch = _due_batch.get()
    if batch is not None:
        batch[stage.pk] = due
        return
    _write_due(connection.schema_name, {stage.pk: due})


def _write_due(schema: str, moments: dict) -> None:
    """Upsert the rows with a moment, delete the others: at most two statements for any number of stages."""
    gone = [pk for pk, due in moments.items() if due is None]
    kept = [(pk, due) for pk, due in moments.items() if due is not None]
    if gone:
        DueStage.objects.filter(schema_name=schema, stage_id__in=gone).delete()
    if kept:
        table = DueStage._meta.db_table
        values = ", ".join(["(%s, %s, %s::timestamptz)"] * len(kept))
        params = [value for pk, due in kept for value in (schema, pk, due)]
        with connection.cursor() as cursor:
            cursor.execute(f'INSERT INTO public."{table}" (schema_name, stage_id, due_at) VALUES {values} '
                           "ON CONFLICT (schema_name, stage_id) DO UPDATE SET due_at = EXCLUDED.due_at", params)


@contextmanager
def due_in_bulk():
    """Inside the tick's chunk: the due index written once at the end, not once per stage."""
    batch: dict[int, object] = {}
    token = _due_batch.set(batch)
    try:
        yield
    finally:
        _due_batch.reset(token)
    if batch:
        _write_due(connection.schema_name, batch)


def _schedule(stage: ApprovalStage):
    # No calendar: the built-in 24x7 one, whose hours and holidays cannot be changed, so no need to read it.
    return schedule_for(stage.calendar) if stage.calendar_id else business_time.Schedule.always()


def _plan(stage: ApprovalStage, now: datetime) -> None:
    schedule = _schedule(stage) if (stage.reminder_after_hours or stage.timeout_after_hours) else None
    stage.next_reminder_at = (business_time.add(schedule, now, stage.reminder_after_hours * HOUR)
                              if stage.reminder_after_hours else None)
    stage.timeout_at = (business_time.add(schedule, now, stage.timeout_after_hours * HOUR)
                        if stage.timeout_after_hours else None)


# -- mail after commit ---------------------------------------------------------------------------------

# Mail queued inside ``mail_in_bulk``: {kind: [request ids]}, sent as one task per kind on commit.
_mail_batch: ContextVar[dict | None] = ContextVar("approval_mail_batch", default=None)


@contextmanager
def mail_in_bulk():
    """Inside a transaction that touches many stages (the tick's chunk): one mail task per kind, not per stage."""
    batch: dict[str, list[int]] = {}
    token = _mail_batch.set(batch)
    try:
        yield
    finally:
        _mail_batch.reset(token)
    for kind, ids in batch.items():
        _mail(kind, ids)


# When mail whose task never ran is enqueued again by the tick.
RESEND_AFTER = timedelta(minutes=5)


def _mail(kind: str, request_ids: list[int]) -> None:
    """Mail these requests' approvers after commit; an outbox row per request, written now, makes it certain."""
    if not request_ids:
        return
    batch = _mail_batch.get()
    if batch is not None:
        batch.setdefault(kind, []).extend(request_ids)
        return
    tenant = connection.tenant
    ids = list(request_ids)
    PendingMail.objects.bulk_create(
        [PendingMail(schema_name=tenant.schema_name, request_id=pk, kind=kind, due_at=timezone.now() + RESEND_AFTER)
         for pk in ids], ignore_conflicts=True)
    transaction.on_commit(partial(enqueue_mail, tenant, kind, ids))


def enqueue_mail(tenant, kind: str, request_ids: list[int]) -> None:
    from approvals.tasks import send_approval_mail

    # The commit may come after the writer left the tenant's schema (the tick ends in public);
    # the task carries the tenant it was written in, in its headers and as an argument.
    with tenant_context(tenant):
        send_approval_mail.delay(list(request_ids), kind, tenant=tenant.schema_name)


# -- who approves ---------------------------------------------------------------------------------------

def approvers_for(stage: ApprovalStage, ticket) -> list:
    """The people a stage asks, or a ValidationFailed saying precisely why there is nobody."""
    label = f"Stage {stage.order} ({stage.name})"
    if stage.kind == StageKind.MANAGER:
        manager = ticket.requester.manager
        if manager is None:
            raise ValidationFailed(f"{label} cannot start: {ticket.requester} has no manager.",
                                   fields={"stage": [f"{ticket.requester} has no manager to approve."]})
        if not manager.is_active:
            raise ValidationFailed(f"{label} cannot start: {ticket.requester}'s manager {manager} is not active.",
                                   fields={"stage": [f"The manager {manager} is not an active user."]})
        return [manager]
    if stage.user_id:
        if not stage.user.is_active:
            raise ValidationFailed(f"{label} cannot start: {stage.user} is not active.",
                                   fields={"stage": [f"{stage.user} is not an active user."]})
        return [stage.user]
    if stage.group_id:
        members = list(stage.group.members.filter(is_active=True).order_by("pk"))
        if not members:
            raise ValidationFailed(f"{label} cannot start: the group {stage.group} has no active members.",
                                   fields={"stage": [f"The group {stage.group} has no active members."]})
        if stage.group_mode == GroupMode.QUORUM and (stage.quorum or 0) > len(members):
            raise ValidationFailed(
                f"{label} cannot start: a quorum of {stage.quorum} is larger than the group {stage.group} "
                f"({len(members)} active members).", fields={"stage": ["The quorum is larger than the group."]})
        return members
    raise ValidationFailed(f"{label} cannot start: it names nobody to approve.", fields={"stage": ["Nobody to ask."]})


def _required(stage: ApprovalStage, count: int) -> int:
    if stage.group_id and stage.group_mode == GroupMode.ALL:
        return count
    if stage.group_id and stage.group_mode == GroupMode.QUORUM:
        return stage.quorum or 1
    return 1


def _skip_reason(stage: ApprovalStage, facts: dict) -> str:
    if stage.skip_condition and conditions.holds(stage.skip_condition, facts):
        return f"Skipped: {conditions.describe(stage.skip_condition)}."
    if stage.kind == StageKind.RULE and not conditions.holds(stage.rule_condition, facts):
        return f"Not needed: the rule {conditions.describe(stage.rule_condition)} does not hold."
    return ""


def _advance(ticket, approval: Approval, stages: list[ApprovalStage], *, by, now: datetime) -> None:
    """Start the next waiting stage that is not skipped; approve the approval if none is left."""
    facts = None
    for stage in stages:
        if stage.state != ApprovalStage.State.WAITING:
            continue
        if facts is None:
            facts = subjects.facts_for(ticket)
        reason = _skip_reason(stage, facts)
        if reason:
            stage.state, stage.skip_reason, stage.finished_at = ApprovalStage.State.SKIPPED, reason, now
            stage.save(update_fields=["state", "skip_reason", "finished_at"])
            _note(ticket, by=ENGINE, body=f"Stage {stage.order}, {stage.name}: {reason[0].lower()}{reason[1:]}",
                  event="stage_skipped", approval=approval, stage=stage)
            continue
        people = approvers_for(stage, ticket)
        stage.state, stage.started_at, stage.required = ApprovalStage.State.PENDING, now, _required(stage, len(people))
        _plan(stage, now)
        stage.save(update_fields=["state", "started_at", "required", "next_reminder_at", "timeout_at"])
        requests = ApprovalRequest.objects.bulk_create([ApprovalRequest(stage=stage, approver=p) for p in people])
        if stage.next_due() is not None:  # a stage that was waiting has no due row to remove
            sync_due(stage)
        names = ", ".join(str(p) for p in people)
        _note(ticket, by=ENGINE, body=f"Stage {stage.order}, {stage.name}, started: waiting for {names}.",
              event="stage_started", approval=approval, stage=stage, approvers=[p.pk for p in people])
        events.publish(events.STAGE_STARTED, ticket, by, approval=approval, stage=stage, reason="", comment="")
        _mail("stage_started", [r.pk for r in requests])
        return
    approval.state, approval.finished_at = Approval.State.APPROVED, now
    approval.save(update_fields=["state", "finished_at"])
    _note(ticket, by=ENGINE, body=f"Approved: every stage of {approval.chain_name} is done.", event="approved",
          approval=approval)
    events.publish(events.APPROVED, ticket, by, approval=approval, reason="", comment="")


# -- starting ---------------------------------------------------------------------------------------------

def start_approval(ticket, definition: ApprovalChainDefinition, *, by, new_ticket: bool = False) -> Approval:
    """Attach ``definition``'s chain to ``ticket`` and start its first stage that is not skipped.

    Runs in the caller's transaction (a ticket and its chain are created together); refuses a
    ticket that already has an approval under way, an inactive or empty chain, and a stage with
    nobody to ask, before anything is written. ``new_ticket``: the caller created ``ticket`` in this
    transaction, so no one else can see it: it is neither locked nor read again, and it cannot have
    an approval under way (an order's items start their chains this way, in fewer statements).
    """
    now = timezone.now()
    # A new ticket's transaction fails whole on a refusal (an order): no savepoint's two round trips.
    with transaction.atomic(savepoint=not new_ticket):
        locked = ticket if new_ticket else _lock_ticket(ticket)
        if not definition.is_active:
            raise ValidationFailed(f"The approval chain {definition} is not active.",
                                   fields={"definition": ["This chain is not active."]})
        stage_rows = list(definition.stages.select_related("user", "group", "calendar").order_by("order"))
        if not stage_rows:
            raise ValidationFailed(f"The approval chain {definition} has no stages.",
                                   fields={"definition": ["This chain has no stages."]})
        label = ticket_type_label(locked)
        if not new_ticket and Approval.objects.filter(ticket_type=label, ticket_id=locked.pk,
                                                      state=Approval.State.PENDING).exists():
            raise InvalidTransition(f"{locked.number} already has an approval under way.")
        if new_ticket and any(row.kind == StageKind.MANAGER for row in stage_rows):
            # Who the manager is, as the database says now: the caller's requester may be an object read
            # before someone changed their manager (the ticket lock reads it for a ticket that is not new).
            locked.requester = get_user_model()._default_manager.select_related("manager").get(pk=locked.requester_id)
        stages = []
        for row in stage_rows:
            stage = ApprovalStage(definition=row, **{f: getattr(row, f) for f in _STAGE_COPY})
            stage.user, stage.group, stage.calendar = row.user, row.group, row.calendar
            stages.append(stage)
        # Every stage the ticket's facts do not skip must have someone to ask now, not only the first:
        # an order should be refused when it is placed, not when its second stage comes up.
        facts = subjects.facts_for(locked)
        for stage in stages:
            if not _skip_reason(stage, facts):
                approvers_for(stage, locked)
        approval = Approval.objects.create(ticket_type=label, ticket_id=locked.pk, definition=definition,
                                           chain_name=definition.name, requested_by=by if getattr(by, "pk", None) else None,
                                           created_at=now)
        for stage in stages:
            stage.approval = approval
        ApprovalStage.objects.bulk_create(stages)
        _note(locked, by=by, body=f"Approval requested: {definition.name} ({len(stages)} "
                                  f"stage{'s' if len(stages) != 1 else ''}).", event="requested", approval=approval)
        _advance(locked, approval, stages, by=by, now=now)
    return approval


# -- deciding -------------------------------------------------------------------------------------------

def _lock_chain(request_id: int):
    """ticket -> approval -> stage -> request, each locked; raises if the request is gone."""
    row = (ApprovalRequest.objects.filter(pk=request_id)
           .values_list("stage__approval_id", "stage__approval__ticket_type", "stage__approval__ticket_id").first())
    if row is None:
        raise NotPermitted("This approval request does not exist.")
    approval_id, ticket_type, ticket_id = row
    ticket = (apps.get_model(ticket_type).objects.select_for_update(of=("self",)).select_related("requester__manager")
              .get(pk=ticket_id))
    approval = Approval.objects.select_for_update().get(pk=approval_id)
    stages = list(ApprovalStage.objects.select_for_update(of=("self",)).filter(approval=approval)
                  .select_related("user", "group", "calendar").order_by("order"))
    request = ApprovalRequest.objects.select_for_update(of=("self",)).select_related("approver").get(pk=request_id)
    return ticket, approval, stages, request


def _check_decision(decision: str, comment: str, via: str) -> None:
    errors = {}
    if decision not in DECISIONS:
        errors["decision"] = [f"Choose one of: {', '.join(DECISIONS)}."]
    elif decision in ("reject", "info") and not comment:
        errors["comment"] = ["Give the reason for the rejection." if decision == "reject"
                             else "Write the question for the requester."]
    if via not in VIAS:
        errors["via"] = [f"Choose one of: {', '.join(VIAS)}."]
    if errors:
        raise ValidationFailed("The decision was not recorded.", fields=errors)


def decide(approval_request: ApprovalRequest, *, by, decision: str, comment: str = "", via: str,
           nonce: str | None = None) -> ApprovalRequest:
    """Record ``by``'s decision on a request: the approver's, or their active delegate's.

    Refuses (and writes nothing) a request that is not ``by``'s to decide (403), one already
    decided, a stage or approval already over (409). ``nonce`` is the signed link's: it must be
    the request's current one, and it is consumed with the decision.
    """
    comment = (comment or "").strip()
    _check_decision(decision, comment, via)
    now = timezone.now()
    with transaction.atomic():
        ticket, approval, stages, request = _lock_chain(approval_request.pk)
        if not delegation.may_act_for(by.pk, request.approver_id):
            raise NotPermitted("This approval is not yours to decide.")
        if nonce is not None and nonce != request.nonce:
            raise InvalidTransition("This approval link has already been used.")
        stage = next(s for s in stages if s.pk == request.stage_id)
        if approval.state != Approval.State.PENDING:
            raise InvalidTransition(f"This approval is already {approval.get_state_display().lower()}.")
        if stage.state != ApprovalStage.State.PENDING:
            raise InvalidTransition(f"Stage {stage.order}, {stage.name}, is already "
                                    f"{stage.get_state_display().lower()}.")
        if not request.is_open:
            raise InvalidTransition(f"This request was already decided ({request.get_state_display().lower()}).")
        on_behalf = request.approver if by.pk != request.approver_id else None
        ApprovalDecision.objects.create(request=request, decision=decision, by=by, on_behalf_of=on_behalf,
                                        comment=comment, via=via, created_at=now)
        request.nonce = new_nonce()
        request.decided_by, request.decided_at, request.comment = by, now, comment
        who = f"{by} (for {on_behalf})" if on_behalf else str(by)
        if decision == "info":
            request.state = ApprovalRequest.State.INFO
            request.save(update_fields=["state", "decided_by", "decided_at", "comment", "nonce"])
            _note(ticket, by=by, body=f"{who} asks for more information (stage {stage.order}, {stage.name}):\n\n{comment}",
                  event="info_requested", approval=approval, stage=stage,
                  request_id=request.pk, on_behalf_of=getattr(on_behalf, "pk", None), via=via)
            events.publish(events.INFO_REQUESTED, ticket, by, approval=approval, stage=stage, comment=comment,
                           reason="", request_id=request.pk)
            return request
        request.state = ApprovalRequest.State.APPROVED if decision == "approve" else ApprovalRequest.State.REJECTED
        request.save(update_fields=["state", "decided_by", "decided_at", "comment", "nonce"])
        verb = "approved" if decision == "approve" else "rejected"
        summary = f"{who} {verb} stage {stage.order}, {stage.name}."
        _note(ticket, by=by, body=f"{summary}\n\n{comment}" if comment else summary, event=verb, approval=approval,
              stage=stage, request_id=request.pk, on_behalf_of=getattr(on_behalf, "pk", None), via=via,
              decision=decision)
        if decision == "reject":
            _reject(ticket, approval, stages, stage, by=by, reason=comment, now=now)
        else:
            approvals = ApprovalRequest.objects.filter(stage=stage, state=ApprovalRequest.State.APPROVED)
            if request.is_escalation or approvals.count() >= stage.required:
                _finish_stage(ticket, approval, stage, ApprovalStage.State.APPROVED, now=now)
                _advance(ticket, approval, stages, by=by, now=now)
    return request


def _close_requests(stage: ApprovalStage) -> None:
    ApprovalRequest.objects.filter(stage=stage, state__in=ApprovalRequest.OPEN_STATES).update(
        state=ApprovalRequest.State.CLOSED)


def _finish_stage(ticket, approval, stage: ApprovalStage, state: str, *, now: datetime) -> None:
    stage.state, stage.finished_at = state, now
    stage.save(update_fields=["state", "finished_at"])
    _close_requests(stage)
    sync_due(stage)
    if state == ApprovalStage.State.APPROVED:
        _note(ticket, by=ENGINE, body=f"Stage {stage.order}, {stage.name}, approved.", event="stage_approved",
              approval=approval, stage=stage)


def _reject(ticket, approval, stages, stage, *, by, reason: str, now: datetime) -> None:
    _finish_stage(ticket, approval, stage, ApprovalStage.State.REJECTED, now=now)
    for later in stages:
        if later.state == ApprovalStage.State.WAITING:
            later.state = ApprovalStage.State.CANCELLED
            later.save(update_fields=["state"])
    approval.state, approval.reason, approval.finished_at = Approval.State.REJECTED, reason, now
    approval.save(update_fields=["state", "reason", "finished_at"])
    _note(ticket, by=ENGINE, body=f"Rejected at stage {stage.order}, {stage.name}: {reason}", event="rejected_chain",
          approval=approval, stage=stage, reason=reason)
    events.publish(events.REJECTED, ticket, by, approval=approval, stage=stage, reason=reason, comment=reason)


# -- cancelling -------------------------------------------------------------------------------------------

def cancel_approval(ticket, *, by, reason: str) -> Approval:
    """End the ticket's approval under way without a decision (the request was withdrawn)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("The approval was not cancelled.", fields={"reason": ["Say why it is cancelled."]})
    if not (by.is_agent or getattr(by, "pk", None) == ticket.requester_id):
        raise NotPermitted("Only agents and the requester can cancel an approval.")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_ticket(ticket)
        approval = (Approval.objects.select_for_update()
                    .filter(ticket_type=ticket_type_label(locked), ticket_id=locked.pk, state=Approval.State.PENDING)
                    .first())
        if approval is None:
            raise InvalidTransition(f"{locked.number} has no approval under way.")
        stages = list(ApprovalStage.objects.select_for_update().filter(approval=approval).order_by("order"))
        for stage in stages:
            if stage.state in (ApprovalStage.State.WAITING, ApprovalStage.State.PENDING):
                stage.state, stage.finished_at = ApprovalStage.State.CANCELLED, now
                stage.save(update_fields=["state", "finished_at"])
                _close_requests(stage)
                sync_due(stage)
        approval.state, approval.reason, approval.finished_at = Approval.State.CANCELLED, reason, now
        approval.save(update_fields=["state", "reason", "finished_at"])
        _note(locked, by=by, body=f"Approval cancelled: {reason}", event="cancelled", approval=approval)
        events.publish(events.CANCELLED, locked, by, approval=approval, reason=reason, comment="")
    return approval


# -- the requester answers a question ----------------------------------------------------------------------

def answer_info_requests(ticket, *, by) -> list[int]:
    """The requester replied publicly: questions asked of them are answered, their requests pending again.

    Called inside the reply's transaction (the ticket is locked). Returns the requests reopened.
    """
    open_approval = (Approval.objects.filter(ticket_type=ticket_type_label(ticket), ticket_id=ticket.pk,
                                             state=Approval.State.PENDING).first())
    if open_approval is None:
        return []
    waiting = list(ApprovalRequest.objects.select_for_update(of=("self",))
                   .filter(stage__approval=open_approval, stage__state=ApprovalStage.State.PENDING,
                           state=ApprovalRequest.State.INFO).select_related("stage"))
    if not waiting:
        return []
    for request in waiting:
        request.state = ApprovalRequest.State.PENDING
        request.save(update_fields=["state"])
    stage = waiting[0].stage
    _note(ticket, by=ENGINE, body="The requester answered; the approver is asked again.", event="info_answered",
          approval=open_approval, stage=stage, requests=[r.pk for r in waiting])
    _mail("info_answered", [r.pk for r in waiting])
    return [r.pk for r in waiting]


# -- the tick's work ---------------------------------------------------------------------------------------

def process_due_stage(ticket, approval: Approval, stage: ApprovalStage, *, now: datetime) -> str:
    """A due stage (ticket, approval, stage and due row locked by the tick): its timeout, else its reminder.

    Returns what was done ("timeout", "escalated", "reminder", "" when nothing was due after all).
    Exactly once: the stage is read under its lock and updated in the same transaction, so a
    second tick or a redelivered task finds nothing due.
    """
    done = ""
    if approval.state != Approval.State.PENDING or stage.state != ApprovalStage.State.PENDING:
        sync_due(stage)
        return done
    if stage.timeout_at and stage.timed_out_at is None and stage.timeout_at <= now:
        stage.timed_out_at = now
        stage.save(update_fields=["timed_out_at"])
        hours = stage.timeout_after_hours
        if stage.timeout_action == TimeoutAction.REJECT:
            reason = f"No decision within {hours} business hours."
            stages = list(ApprovalStage.objects.select_for_update().filter(approval=approval).order_by("order"))
            stages = [stage if s.pk == stage.pk else s for s in stages]
            _reject(ticket, approval, stages, stage, by=ENGINE, reason=reason, now=now)
            return "timeout"
        target = stage.escalate_to
        done = "escalated"
        if target is not None and target.is_active:
            request, created = ApprovalRequest.objects.get_or_create(stage=stage, approver=target,
                                                                     defaults={"is_escalation": True})
            if not created:
                request.is_escalation = True
                request.save(update_fields=["is_escalation"])
            _note(ticket, by=ENGINE, body=f"Stage {stage.order}, {stage.name}: no decision within {hours} business "
                                          f"hours; escalated to {target}.", event="escalated", approval=approval,
                  stage=stage, escalate_to=target.pk)
            if request.state == ApprovalRequest.State.APPROVED:  # they had approved already: that decides it
                stages = list(ApprovalStage.objects.select_for_update().filter(approval=approval).order_by("order"))
                _finish_stage(ticket, approval, stage, ApprovalStage.State.APPROVED, now=now)
                _advance(ticket, approval, [stage if s.pk == stage.pk else s for s in stages], by=ENGINE, now=now)
                return done
            _mail("escalated", [request.pk])
        else:
            _note(ticket, by=ENGINE, body=f"Stage {stage.order}, {stage.name}: no decision within {hours} business "
                                          "hours, and nobody active to escalate to.", event="escalated",
                  approval=approval, stage=stage)
    if stage.next_reminder_at and stage.next_reminder_at <= now:
        stage.reminders_sent += 1
        stage.next_reminder_at = business_time.add(_schedule(stage), now, stage.reminder_after_hours * HOUR)
        stage.save(update_fields=["reminders_sent", "next_reminder_at"])
        waiting = list(ApprovalRequest.objects.filter(stage=stage, state=ApprovalRequest.State.PENDING)
                       .values_list("pk", flat=True))
        _note(ticket, by=ENGINE, body=f"Stage {stage.order}, {stage.name}: reminder {stage.reminders_sent} sent.",
              event="reminder", approval=approval, stage=stage, public=False)
        _mail("reminder", waiting)
        done = done or "reminder"
    sync_due(stage)
    return done
