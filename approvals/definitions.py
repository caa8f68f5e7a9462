"""Chain definitions built by tenant admins: validated whole, saved whole (stages replaced together).

Errors name the field as the API does (``stages.1.quorum``), so the settings page and the API
show the same messages. Nothing is written unless the whole chain is valid.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import AssignmentGroup
from approvals import conditions
from approvals.models import ApprovalChainDefinition, GroupMode, StageDefinition, StageKind, TimeoutAction
from core.exceptions import NotPermitted, ValidationFailed
from sla.models import Calendar

STAGE_FIELDS = ("order", "name", "kind", "user", "group", "group_mode", "quorum", "rule_condition", "skip_condition",
                "reminder_after_hours", "timeout_after_hours", "timeout_action", "escalate_to", "calendar")


def active_members(group) -> int:
    return group.members.filter(is_active=True).count()


def _add(errors: dict, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def check_stage(stage: dict, prefix: str, errors: dict) -> None:
    """One stage's own rules (people and groups are model instances or None)."""
    kind = stage.get("kind")
    if kind not in StageKind.values:
        _add(errors, f"{prefix}.kind", f"Choose one of: {', '.join(StageKind.values)}.")
        return
    if not (stage.get("name") or "").strip():
        _add(errors, f"{prefix}.name", "A stage needs a name.")
    user, group = stage.get("user"), stage.get("group")
    mode = stage.get("group_mode") or GroupMode.ANY
    if mode not in GroupMode.values:
        _add(errors, f"{prefix}.group_mode", f"Choose one of: {', '.join(GroupMode.values)}.")
    if kind == StageKind.MANAGER and (user or group):
        _add(errors, f"{prefix}.kind", "A manager stage asks the requester's manager; give no user or group.")
    if kind == StageKind.USER:
        if user is None:
            _add(errors, f"{prefix}.user", "A user stage needs the person who approves.")
        if group is not None:
            _add(errors, f"{prefix}.group", "A user stage asks one person; give no group.")
    if kind == StageKind.GROUP and group is None:
        _add(errors, f"{prefix}.group", "A group stage needs the group whose members approve.")
    if kind == StageKind.RULE:
        if not stage.get("rule_condition"):
            _add(errors, f"{prefix}.rule_condition", "A rule stage needs the condition under which it applies.")
        if (user is None) == (group is None):
            _add(errors, f"{prefix}.user", "A rule stage asks either a person or a group: give exactly one.")
    if user is not None and not user.is_active:
        _add(errors, f"{prefix}.user", f"{user} is not an active user.")
    if group is not None:
        members = active_members(group)
        if not group.is_active:
            _add(errors, f"{prefix}.group", f"The group {group} is not active.")
        elif members == 0:
            _add(errors, f"{prefix}.group", f"The group {group} has no active members to approve.")
        quorum = stage.get("quorum")
        if mode == GroupMode.QUORUM:
            if not quorum:
                _add(errors, f"{prefix}.quorum", "A quorum stage needs how many members must approve (1 or more).")
            elif quorum > members:
                _add(errors, f"{prefix}.quorum",
                     f"A quorum of {quorum} is larger than the group {group} ({members} active members).")
        elif quorum:
            _add(errors, f"{prefix}.quorum", "A quorum is only given for the group mode 'quorum'.")
    elif mode != GroupMode.ANY and kind != StageKind.GROUP:
        _add(errors, f"{prefix}.group_mode", "A group mode needs a group.")
    for name in ("rule_condition", "skip_condition"):
        for message in conditions.errors(stage.get(name) or {}):
            _add(errors, f"{prefix}.{name}", message)
    timeout, action = stage.get("timeout_after_hours") or 0, stage.get("timeout_action") or ""
    escalate_to = stage.get("escalate_to")
    if action and action not in TimeoutAction.values:
        _add(errors, f"{prefix}.timeout_action", f"Choose one of: {', '.join(TimeoutAction.values)}.")
    if timeout and not action:
        _add(errors, f"{prefix}.timeout_action", "Say what happens at the timeout: escalate or reject.")
    if action and not timeout:
        _add(errors, f"{prefix}.timeout_after_hours", "A timeout action needs the business hours to wait (1 or more).")
    if action == TimeoutAction.ESCALATE and escalate_to is None:
        _add(errors, f"{prefix}.escalate_to", "Escalation needs the person to escalate to.")
    if escalate_to is not None and action != TimeoutAction.ESCALATE:
        _add(errors, f"{prefix}.escalate_to", "Only an escalating timeout names a person to escalate to.")
    if escalate_to is not None and not escalate_to.is_active:
        _add(errors, f"{prefix}.escalate_to", f"{escalate_to} is not an active user.")
    reminder = stage.get("reminder_after_hours") or 0
    if reminder and timeout and reminder >= timeout:
        _add(errors, f"{prefix}.reminder_after_hours", "The reminder must come before the timeout.")


def save_chain(*, by, chain: ApprovalChainDefinition | None = None, name: str, description: str = "",
               is_active: bool = True, stages: list[dict]) -> ApprovalChainDefinition:
    """Create or replace a chain with its stages (each a dict of ``STAGE_FIELDS``, people as instances)."""
    if not getattr(by, "is_tenant_admin", False):
        raise NotPermitted("Only tenant admins can change approval chains.")
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        _add(errors, "name", "A chain needs a name.")
    elif ApprovalChainDefinition.objects.filter(name__iexact=name).exclude(pk=getattr(chain, "pk", None)).exists():
        _add(errors, "name", f"A chain named {name!r} already exists.")
    if not stages:
        _add(errors, "stages", "A chain needs at least one stage.")
    seen: dict[int, int] = {}
    for index, stage in enumerate(stages):
        order = stage.get("order")
        if not isinstance(order, int) or isinstance(order, bool) or order < 1:
            _add(errors, f"stages.{index}.order", "The order is a whole number from 1.")
        elif order in seen:
            _add(errors, f"stages.{index}.order", f"Stage {seen[order] + 1} already has the order {order}.")
        else:
            seen[order] = index
        check_stage(stage, f"stages.{index}", errors)
    if errors:
        raise ValidationFailed("The approval chain was not saved.", fields=errors)
    with transaction.atomic():
        if chain is None:
            chain = ApprovalChainDefinition(name=name)
        chain.name, chain.description, chain.is_active = name, description or "", bool(is_active)
        chain.save()
        chain.stages.all().delete()
        StageDefinition.objects.bulk_create([
            StageDefinition(chain=chain, **{**{field: stage[field] for field in STAGE_FIELDS if field in stage},
                                            **_defaults(stage)}) for stage in stages])
    return chain


def _defaults(stage: dict) -> dict:
    return {"group_mode": stage.get("group_mode") or GroupMode.ANY,
            "rule_condition": stage.get("rule_condition") or {}, "skip_condition": stage.get("skip_condition") or {},
            "reminder_after_hours": stage.get("reminder_after_hours") or 0,
            "timeout_after_hours": stage.get("timeout_after_hours") or 0,
            "timeout_action": stage.get("timeout_action") or "", "name": (stage.get("name") or "").strip()}


def resolve_references(stage: dict, prefix: str, errors: dict) -> dict:
    """Ids of people, groups and calendars (from a form or the API) as rows; unknown ids are field errors."""
    resolved = dict(stage)
    lookups = (("user", get_user_model()), ("escalate_to", get_user_model()), ("group", AssignmentGroup),
               ("calendar", Calendar))
    for name, model in lookups:
        value = stage.get(name)
        if value is None or hasattr(value, "pk"):
            continue
        row = model.objects.filter(pk=value).first() if isinstance(value, int) and not isinstance(value, bool) else None
        if row is None:
            _add(errors, f"{prefix}.{name}", f"No {model._meta.verbose_name} with id {value!r}.")
        resolved[name] = row
    return resolved
