"""Every write to any ticket type goes through these functions.

Each runs in one transaction, locks the ticket row, writes its timeline entry
in the same transaction and announces an event after commit. Process apps
wrap them with what is their own (incidents.services, ...), never bypass them.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from typing import Any, Iterable

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst

from core.exceptions import NotPermitted, StaleVersion, ValidationFailed
from tenants import config_cache
from tickets import events, guards, markdown, numbering
from tickets.write_guard import direct_writes
from tickets.models import DEFAULT_PRIORITY_MATRIX, PriorityMatrixEntry, TimelineEntry, ticket_type_label
from tickets.workflow import AGENT, REQUESTER

# Fields whose change recomputes priority through the matrix.
PRIORITY_INPUTS = ("impact", "urgency")
# Fields only the desk itself may set directly: an SLA escalation raises priority above the matrix's.
SYSTEM_FIELDS = ("priority",)


@dataclass(frozen=True)
class SystemActor:
    """The service desk acting on its own (an SLA escalation, an automation), passed as ``by``.

    It acts with agent rights but is no person: its timeline entries have no author (shown as
    "System") and name its ``source``; its events carry it as the actor, so listeners see who acted.
    """

    source: str
    pk = None
    is_agent = True
    is_tenant_admin = False
    is_active = True

    def __str__(self):
        return "System"


def role_for(user, ticket=None) -> str:
    """The workflow role a user acts in on a ticket; refuses anyone else's ticket."""
    if user.is_agent:
        return AGENT
    if ticket is None or ticket.is_visible_to(user):
        return REQUESTER
    raise NotPermitted("You can only act on your own tickets.")


def priority_matrix() -> dict[tuple[int, int], int]:
    """The tenant's impact x urgency -> priority matrix, its own cells over the defaults (cached per tenant)."""
    def build():
        return {**DEFAULT_PRIORITY_MATRIX,
                **{(e.impact, e.urgency): e.priority for e in PriorityMatrixEntry.objects.all()}}

    return config_cache.get("tickets.priority_matrix", build)


def compute_priority(impact: int, urgency: int) -> int:
    return priority_matrix()[(int(impact), int(urgency))]


# Entries recorded inside ``timeline_in_bulk``: written together when the block ends.
_bulk_entries: ContextVar[list[TimelineEntry] | None] = ContextVar("bulk_timeline_entries", default=None)


@contextmanager
def timeline_in_bulk(*, into: list[TimelineEntry] | None = None):
    """Entries recorded inside the block are written by one INSERT as it ends (none if it raises).

    For writers that record many entries in one transaction (the SLA tick's notify firings); inside,
    ``record`` returns the entry unsaved, so nothing in the block may rely on its id. Given ``into``,
    the entries are only collected there, for the caller to write in the same transaction.
    """
    entries: list[TimelineEntry] = [] if into is None else into
    token = _bulk_entries.set(entries)
    try:
        yield
    finally:
        _bulk_entries.reset(token)
    if entries and into is None:
        TimelineEntry.objects.bulk_create(entries)


def record(ticket, *, kind: str, by=None, is_public: bool = False, body: str = "", data: dict | None = None, channel: str = "") -> TimelineEntry:
    data = data or {}
    if isinstance(by, SystemActor):
        by, data = None, {**data, "source": by.source}
    entry = TimelineEntry(
        ticket_type=ticket_type_label(ticket),
        ticket_id=ticket.pk,
        kind=kind,
        is_public=is_public,
        author=by,
        channel=channel,
        body=body,
        body_html=markdown.render(body) if body else "",
        data=data,
    )
    bulk = _bulk_entries.get()
    if bulk is not None:
        bulk.append(entry)
    else:
        entry.save(force_insert=True)
    return entry


def _display(ticket, field: models.Field, value: Any) -> Any:
    """A JSON-safe, human-readable value for the timeline."""
    if value is None or value == "":
        return None
    if field.is_relation:
        return str(value)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, (int, float, bool, str)):
        return value
    if isinstance(value, datetime):  # stored as the instant in UTC, to the minute
        return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _clean_field(ticket, name: str, value: Any, errors: dict) -> None:
    field = ticket._meta.get_field(name)
    if field.is_relation:
        if value is None and not field.null:
            errors.setdefault(name, []).append("This field is required.")
        return
    if isinstance(field, (models.CharField, models.TextField)) and value is None:
        value = ""
    try:
        field.clean(value, ticket)
    except ValidationError as exc:
        errors.setdefault(name, []).extend(exc.messages)


def _check_assignment(ticket, errors: dict) -> None:
    assignee = ticket.assignee
    if assignee is None:
        return
    if not assignee.is_active or not assignee.is_agent:
        errors.setdefault("assignee", []).append(f"{assignee} is not an active agent.")
    elif ticket.assignment_group_id and not ticket.assignment_group.members.filter(pk=assignee.pk).exists():
        errors.setdefault("assignee", []).append(f"{assignee} is not a member of {ticket.assignment_group}.")


def _save(ticket, **kwargs) -> None:
    """The one place ticket rows are saved: the models refuse any other (tickets/write_guard.py)."""
    with direct_writes("tickets.services"):
        ticket.save(**kwargs)


def _lock(ticket, expected_version: int | None):
    locked = type(ticket).objects.select_for_update().get(pk=ticket.pk)
    if expected_version is not None and locked.version != int(expected_version):
        raise StaleVersion(
            f"{locked.number} was changed by someone else (version {locked.version}, you had {expected_version}). "
            "Reload it and apply your change again."
        )
    return locked


def create_ticket(model, *, by, requester, title: str, channel: str, fields: dict | None = None, watchers: Iterable = (),
                  state: str | None = None):
    """``state``: where the ticket starts when its type's service decides it (a fulfilment task whose turn
    has come starts open, the others pending); the workflow's initial state otherwise."""
    fields = dict(fields or {})
    if state is not None and state not in model.workflow.states:
        raise ValueError(f"{model.__name__} has no state {state!r}.")
    ticket = model(
        title=(title or "").strip(),
        requester=requester,
        channel=channel,
        created_by=None if isinstance(by, SystemActor) else by,  # the system is no person (its entry says so)
        state=state or model.workflow.initial,
        **fields,
    )
    errors: dict[str, list[str]] = {}
    for name in ["title", "channel", "description", *[f for f in fields if not ticket._meta.get_field(f).is_relation]]:
        _clean_field(ticket, name, getattr(ticket, name), errors)
    if not ticket.title:
        errors.setdefault("title", []).append("A short summary is required.")
    _check_assignment(ticket, errors)
    if errors:
        raise ValidationFailed("The ticket could not be created.", fields=errors)

    # No savepoint of its own: a failure here fails the caller's whole write (process services wrap
    # this in their own transaction), and a savepoint is two more round trips on every create.
    with transaction.atomic(savepoint=False):
        ticket.number = numbering.next_number(model.NUMBER_PREFIX)
        ticket.priority = compute_priority(ticket.impact, ticket.urgency)
        ticket.description_html = markdown.render(ticket.description)
        _save(ticket)
        watchers = [w for w in watchers if w is not None]
        if watchers:
            ticket.watchers.add(*watchers)
        record(ticket, kind=TimelineEntry.Kind.CREATED, by=by, is_public=True, channel=channel,
               data={"state": ticket.state, "priority": ticket.priority})
        events.publish(events.TicketEvent(events.CREATED, ticket, by))
        if ticket.assignee_id:
            events.publish(events.TicketEvent(events.ASSIGNED, ticket, by))
    return ticket


def update_ticket(ticket, *, by, changes: dict, expected_version: int | None = None, service_fields: Iterable = ()):
    """Change editable fields; records one field-change entry listing old and new values.

    ``service_fields`` are fields a process's own service sets that agents cannot edit directly
    (a problem's known-error publication): the service has already decided the change is allowed.
    """
    model = type(ticket)
    unknown = (set(changes) - set(model.EDITABLE_FIELDS) - set(service_fields)
               - set(SYSTEM_FIELDS if isinstance(by, SystemActor) else ()))
    if unknown:
        raise ValidationFailed(
            "Some fields cannot be changed this way.",
            fields={name: ["This field cannot be changed directly (use an action, or it is read-only)."] for name in sorted(unknown)},
        )
    if not by.is_agent:
        raise NotPermitted("Only agents can edit ticket fields.")
    with transaction.atomic():
        locked = _lock(ticket, expected_version)
        before = {name: getattr(locked, name) for name in changes}
        for name, value in changes.items():
            setattr(locked, name, value.strip() if name == "title" and isinstance(value, str) else value)
        errors: dict[str, list[str]] = {}
        for name in changes:
            _clean_field(locked, name, getattr(locked, name), errors)
        if "title" in changes and not locked.title:
            errors.setdefault("title", []).append("A short summary is required.")
        _check_assignment(locked, errors)
        validate = getattr(locked, "validate_change", None)
        if validate:
            validate(errors)
        if errors:
            raise ValidationFailed("The ticket was not changed.", fields=errors)
        if set(PRIORITY_INPUTS) & set(changes) and "priority" not in changes:
            before.setdefault("priority", locked.priority)
            locked.priority = compute_priority(locked.impact, locked.urgency)
        if "description" in changes:
            locked.description_html = markdown.render(locked.description)
        diff = []
        for name, old in before.items():
            new = getattr(locked, name)
            if old != new:
                field = model._meta.get_field(name)
                diff.append({"field": name, "label": capfirst(str(field.verbose_name)),
                             "old": _display(locked, field, old), "new": _display(locked, field, new)})
        if not diff:
            return locked
        locked.version += 1
        _save(locked)
        record(locked, kind=TimelineEntry.Kind.FIELD_CHANGE, by=by, data={"changes": diff})
        changed = {d["field"] for d in diff}
        events.publish(events.TicketEvent(events.UPDATED, locked, by, {"fields": sorted(changed)}))
        if "assignee" in changed and locked.assignee_id:
            events.publish(events.TicketEvent(events.ASSIGNED, locked, by))
    return locked


def transition(ticket, action: str, *, by, fields: dict | None = None, expected_version: int | None = None, comment: str = ""):
    """Take a named workflow transition; refuses with a clear message or changes nothing."""
    with transaction.atomic():
        return _transition_locked(_lock(ticket, expected_version), action, by=by, fields=fields, comment=comment)


def _transition_locked(locked, action: str, *, by, fields: dict | None = None, comment: str = ""):
    model = type(locked)
    fields = dict(fields or {})
    role = role_for(by, locked)
    step = model.workflow.step(locked.state, action, role=role)
    guards.enforce(step, locked)
    errors: dict[str, list[str]] = {}
    unexpected = set(fields) - set(step.fields)
    for name in sorted(unexpected):
        errors.setdefault(name, []).append(f"Not accepted by the '{action}' action.")
    for name, value in fields.items():
        if name not in unexpected:
            setattr(locked, name, value)
    for name in step.requires:
        value = getattr(locked, name)
        if value is None or (isinstance(value, str) and not value.strip()):  # blank text is no root cause
            label = model._meta.get_field(name).verbose_name
            errors.setdefault(name, []).append(f"{capfirst(str(label))} is required to {step.label.lower()}.")
    for name in step.fields:
        if name in fields:
            _clean_field(locked, name, getattr(locked, name), errors)
    if errors:
        raise ValidationFailed(f"Cannot {step.label.lower()} {locked.number}.", fields=errors)
    for name in step.clears:
        field = model._meta.get_field(name)
        setattr(locked, name, None if field.null else "")
    source = locked.state
    locked.state = step.target
    now = timezone.now()
    for state, stamp in model.workflow.stamps.items():
        if step.target == state:
            setattr(locked, stamp, now)
        elif step.target in model.workflow.open_states:
            setattr(locked, stamp, None)
    locked.version += 1
    _save(locked)
    data = {"action": action, "from": source, "to": step.target,
            "fields": {name: _display(locked, model._meta.get_field(name), getattr(locked, name)) for name in fields}}
    if isinstance(by, SystemActor):
        data["automatic"] = True
    record(locked, kind=TimelineEntry.Kind.TRANSITION, by=by, is_public=True, body=comment, data=data)
    events.publish(events.TicketEvent(events.TRANSITIONED, locked, by, data))
    return locked


AUTO_CLOSE = SystemActor("auto_close")


def auto_close(model, *, now=None, batch_size: int = 500) -> int:
    """Take the workflow's ``auto_close`` transition on tickets that have waited in its source states
    for the tenant's ``auto_close_days``, as the system; returns how many it closed.

    Safe to run twice and alongside itself or an agent: each ticket is locked with SKIP LOCKED and
    re-checked under the lock, so one that is busy, already closed or reopened meanwhile is left alone.
    """
    workflow = model.workflow
    if not workflow.auto_close:
        return 0
    step = workflow.by_name[workflow.auto_close]
    tenant = getattr(connection, "tenant", None)
    days = getattr(tenant, "auto_close_days", 7)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    due = Q()
    for state in sorted(step.sources):
        due |= Q(state=state, **{f"{workflow.stamps[state]}__lt": cutoff})
    reason = f"Closed automatically {days} days after resolution." if step.sources <= workflow.resolved else (
        f"{step.label} automatically after {days} days.")
    closed = 0
    # Longest waiting first, in the order of the stamp the type indexes for it (incidents: inc_resolved_idx).
    oldest_first = sorted({workflow.stamps[state] for state in step.sources})
    for pk in model.objects.filter(due).order_by(*oldest_first, "pk").values_list("pk", flat=True)[:batch_size]:
        with transaction.atomic():
            locked = model.objects.select_for_update(skip_locked=True).filter(due, pk=pk).first()
            if locked is None:
                continue
            _transition_locked(locked, step.name, by=AUTO_CLOSE, comment=reason)
            closed += 1
    return closed


def add_comment(ticket, *, by, body: str, is_public: bool, channel: str = "", attachments: Iterable = ()):
    """A public reply (the requester sees it) or an internal work note (never shown to requesters)."""
    body = (body or "").strip()
    attachments = list(attachments)
    if not body and not attachments:
        raise ValidationFailed("The comment is empty.", fields={"body": ["Write a message or attach a file."]})
    role = role_for(by, ticket)
    if not is_public and role != AGENT:
        raise NotPermitted("Only agents can write work notes.")
    from tickets import attachments as attachment_rules

    for upload in attachments:
        attachment_rules.validate_upload(upload)
    with attachment_rules.removed_if_not_committed(), transaction.atomic():
        locked = _lock(ticket, None)
        kind = TimelineEntry.Kind.REPLY if is_public else TimelineEntry.Kind.WORK_NOTE
        entry = record(locked, kind=kind, by=by, is_public=is_public, body=body, channel=channel)
        for upload in attachments:
            attachment_rules.store(locked, upload=upload, by=by, is_public=is_public, entry=entry)
        update_fields = ["updated_at"]
        if is_public and role == AGENT and locked.first_response_at is None and by.pk != locked.requester_id:
            locked.first_response_at = entry.created_at
            update_fields.append("first_response_at")
        _save(locked, update_fields=update_fields)
        events.publish(events.TicketEvent(events.REPLIED if is_public else events.NOTED, locked, by, {"entry_id": entry.pk, "role": role}))
    return entry


def add_attachment(ticket, *, by, upload, is_public: bool = True):
    from tickets import attachments as attachment_rules

    role = role_for(by, ticket)
    if not is_public and role != AGENT:
        raise NotPermitted("Only agents can add internal attachments.")
    attachment_rules.validate_upload(upload)
    with attachment_rules.removed_if_not_committed(), transaction.atomic():
        locked = _lock(ticket, None)
        attachment = attachment_rules.store(locked, upload=upload, by=by, is_public=is_public, entry=None)
        record(locked, kind=TimelineEntry.Kind.ATTACHMENT, by=by, is_public=is_public,
               data={"attachment_id": attachment.pk, "filename": attachment.filename, "size": attachment.size})
        _save(locked, update_fields=["updated_at"])
    return attachment


def record_related_change(ticket, *, by, kind: str, data: dict, body: str = ""):
    """Record on the timeline a change to what a floor above keeps about the ticket (its affected CIs).

    The caller writes its own rows inside the same transaction (this takes the ticket's lock first, so
    two writers queue). The ticket's version moves too: the API's detail shows what extensions add
    (``tickets.extensions``' ``api_detail``) and its ETag is the version, so a client holding the old
    body must not be told it is current.
    """
    with transaction.atomic():
        locked = _lock(ticket, None)
        entry = record(locked, kind=kind, by=by, data=data, body=body)
        locked.version += 1
        _save(locked, update_fields=["version", "updated_at"])
    return locked, entry


def set_watchers(ticket, *, by, watchers: Iterable):
    if not by.is_agent:
        raise NotPermitted("Only agents can change watchers.")
    with transaction.atomic():
        locked = _lock(ticket, None)
        old = sorted(str(u) for u in locked.watchers.all())
        locked.watchers.set(list(watchers))
        new = sorted(str(u) for u in locked.watchers.all())
        if old != new:
            record(locked, kind=TimelineEntry.Kind.FIELD_CHANGE, by=by,
                   data={"changes": [{"field": "watchers", "label": "Watchers", "old": ", ".join(old) or None, "new": ", ".join(new) or None}]})
            events.publish(events.TicketEvent(events.UPDATED, locked, by, {"fields": ["watchers"]}))
    return locked


def set_priority_matrix(*, by, cells: dict) -> None:
    """Replace the tenant's impact x urgency -> priority matrix; all nine cells, priorities 1-5."""
    from tickets.models import Impact, Priority, Urgency

    if not by.is_tenant_admin:
        raise NotPermitted("Only tenant admins can change the priority matrix.")
    errors: dict[str, list[str]] = {}
    expected = {(i, u) for i in Impact.values for u in Urgency.values}
    normalised = {}
    for key, value in cells.items():
        try:
            impact, urgency = (int(part) for part in key)
            priority = int(value)
        except (TypeError, ValueError):
            errors.setdefault("cells", []).append(f"Cell {key!r} -> {value!r} is not a number pair and a priority.")
            continue
        if priority not in Priority.values:
            errors.setdefault(f"{impact}x{urgency}", []).append("Priority must be between 1 and 5.")
        normalised[(impact, urgency)] = priority
    missing = expected - set(normalised)
    extra = set(normalised) - expected
    if missing or extra:
        errors.setdefault("cells", []).append("Give exactly one priority for each of the nine impact x urgency cells.")
    if errors:
        raise ValidationFailed("The priority matrix was not changed.", fields=errors)
    with transaction.atomic():
        for (impact, urgency), priority in normalised.items():
            PriorityMatrixEntry.objects.update_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})
