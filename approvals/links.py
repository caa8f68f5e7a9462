"""Signed approval links: single use, expiring, bound to the tenant, the request, the approver and the stage.

The token (``django.core.signing`` with its own salt, so no other signed value of the product
can pass for one) carries the schema, the request, the person it was sent to, the stage and the
request's current nonce. Using it decides and replaces the nonce in the same transaction, so a
second use finds a nonce that no longer matches.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import connection

from approvals import delegation, services
from approvals.models import ApprovalRequest
from core.exceptions import InvalidTransition, NotPermitted

SALT = "approvals.link"
DEFAULT_MAX_AGE = 7 * 24 * 3600


def max_age() -> int:
    return int(getattr(settings, "APPROVAL_LINK_MAX_AGE", DEFAULT_MAX_AGE))


class LinkRefused(NotPermitted):
    code = "link_refused"


def make_token(request: ApprovalRequest, recipient_id: int) -> str:
    return signing.dumps({"s": connection.schema_name, "r": request.pk, "a": recipient_id, "st": request.stage_id,
                          "n": request.nonce}, salt=SALT, compress=True)


@dataclass
class Link:
    request: ApprovalRequest
    approver: object  # the person the link was sent to (the approver or their delegate)
    nonce: str


def open_link(token: str) -> Link:
    """The link's request and person, or LinkRefused saying exactly why not (forged, expired, used...)."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired:
        raise LinkRefused("This approval link has expired. Open the approval in the portal instead.")
    except signing.BadSignature:
        raise LinkRefused("This approval link is not valid.")
    if not isinstance(payload, dict) or not {"s", "r", "a", "st", "n"} <= set(payload):
        raise LinkRefused("This approval link is not valid.")
    if payload["s"] != connection.schema_name:
        raise LinkRefused("This approval link belongs to another service desk.")
    request = (ApprovalRequest.objects.select_related("stage__approval", "approver")
               .filter(pk=payload["r"], stage_id=payload["st"]).first())
    if request is None:
        raise LinkRefused("This approval link is not valid.")
    from django.contrib.auth import get_user_model

    person = get_user_model().objects.filter(pk=payload["a"], is_active=True).first()
    if person is None or not delegation.may_act_for(person.pk, request.approver_id):
        raise LinkRefused("This approval link is no longer yours to use.")
    if payload["n"] != request.nonce:
        raise InvalidTransition("This approval link has already been used.")
    return Link(request=request, approver=person, nonce=payload["n"])


def decide_by_link(token: str, *, decision: str, comment: str = "") -> ApprovalRequest:
    link = open_link(token)
    return services.decide(link.request, by=link.approver, decision=decision, comment=comment, via="email",
                           nonce=link.nonce)
