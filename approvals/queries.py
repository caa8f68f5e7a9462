"""Reads for the pages and the API: what waits for a person, and an approval for display."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, JSONObject, NullIf
from django.utils.dateparse import parse_datetime

from approvals import delegation
from approvals.models import Approval, ApprovalDecision, ApprovalRequest, ApprovalStage
from tickets.models import ticket_type_label

OPEN = ApprovalRequest.OPEN_STATES
STATES = ("waiting", *ApprovalRequest.State.values, "all")


def _requests():
    return ApprovalRequest.objects.select_related("stage__approval", "approver", "decided_by")


def waiting_for(user):
    """Requests ``user`` may decide now: their own, and those of people away who delegated to them."""
    people = {user.pk, *delegation.delegators_of(user.pk)}
    return (_requests().filter(approver_id__in=people, state__in=OPEN, stage__state=ApprovalStage.State.PENDING,
                               stage__approval__state=Approval.State.PENDING)
            .order_by("created_at", "id"))


def requests_of(user, state: str = "waiting"):
    """``user``'s requests in a state ("waiting": what they may decide now, "all": every one they had or decided)."""
    if state == "waiting":
        return waiting_for(user)
    people = {user.pk, *delegation.delegators_of(user.pk)}
    rows = _requests().filter(Q(approver_id__in=people) | Q(decided_by=user))
    if state != "all":
        rows = rows.filter(state=state)
    return rows.order_by("-created_at", "-id")


def may_see(user, request: ApprovalRequest) -> bool:
    """Agents see every approval; others the requests they are asked, decided, or may decide as a delegate."""
    return (user.is_agent or request.decided_by_id == user.pk
            or delegation.may_act_for(user.pk, request.approver_id))


def visible_request(user, request_id) -> ApprovalRequest | None:
    request = _requests().filter(pk=request_id).first()
    return request if request is not None and may_see(user, request) else None


def tickets_of(approvals) -> dict[tuple[str, int], object]:
    """The tickets of some approvals, one query per ticket type: {(label, id): ticket}."""
    by_type: dict[str, set[int]] = defaultdict(set)
    for approval in approvals:
        by_type[approval.ticket_type].add(approval.ticket_id)
    found = {}
    for label, ids in by_type.items():
        for ticket in apps.get_model(label).objects.filter(pk__in=ids).select_related("requester"):
            found[(label, ticket.pk)] = ticket
    return found


def attach_tickets(requests) -> list[ApprovalRequest]:
    requests = list(requests)
    tickets = tickets_of(r.stage.approval for r in requests)
    for request in requests:
        approval = request.stage.approval
        approval.ticket = tickets.get((approval.ticket_type, approval.ticket_id))
    return requests


@dataclass
class ChainView:
    """An approval with its stages, each with its requests and their decisions, for display."""

    approval: Approval
    stages: list[ApprovalStage] = field(default_factory=list)

    @property
    def position(self) -> int | None:
        return next((i for i, s in enumerate(self.stages, 1) if s.state == ApprovalStage.State.PENDING), None)


def _decisions():
    rows = (ApprovalDecision.objects.filter(request=OuterRef("pk")).order_by("created_at", "id")
            .values(json=JSONObject(decision="decision", comment="comment", via="via", at="created_at",
                                    by=Coalesce(NullIf(F("by__full_name"), Value("")), F("by__email")),
                                    for_whom=Coalesce(NullIf(F("on_behalf_of__full_name"), Value("")),
                                                      F("on_behalf_of__email")))))
    return ArraySubquery(rows)


def chain(approval_id: int) -> ChainView | None:
    """One approval for display, in two queries (stages with the approval; requests with their decisions)."""
    stages = list(ApprovalStage.objects.filter(approval_id=approval_id)
                  .select_related("approval", "user", "group").order_by("order"))
    if not stages:
        return None
    return _with_requests(stages)


def _with_requests(stages) -> ChainView:
    requests = (ApprovalRequest.objects.filter(stage__in=[s.pk for s in stages]).select_related("approver", "decided_by")
                .annotate(decision_log=_decisions()).order_by("created_at", "id"))
    by_stage: dict[int, list] = defaultdict(list)
    for request in requests:
        for decision in request.decision_log or ():  # JSON carries the moment as text: show it as a moment
            decision["at"] = parse_datetime(decision["at"]) if isinstance(decision.get("at"), str) else decision.get("at")
        by_stage[request.stage_id].append(request)
    for stage in stages:
        stage.request_list = by_stage.get(stage.pk, [])
    return ChainView(approval=stages[0].approval, stages=stages)


def latest_chain(ticket) -> ChainView | None:
    """The ticket's latest approval for display, in two queries."""
    latest = (Approval.objects.filter(ticket_type=ticket_type_label(ticket), ticket_id=ticket.pk)
              .order_by("-created_at", "-id").values("pk")[:1])
    stages = list(ApprovalStage.objects.filter(approval_id=Subquery(latest))
                  .select_related("approval", "user", "group").order_by("order"))
    if not stages:
        return None
    return _with_requests(stages)
