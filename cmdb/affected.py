"""Affected CIs on tickets of any registered type, and the business services they take down.

A ticket names the CIs (or services) an outage touches; impact analysis (``cmdb.impact``) then says which
business services are hurt: every business service downstream of an affected CI, plus affected CIs that
are services themselves, each with the path that leads to it ("lnx-db-01 → shop-db → ShopFront → Web
Shop → Online Sales"). Rows point at the ticket by its model label and id, as timelines do.

Writes record a "link" entry on the ticket's timeline and move its version in the same transaction
(``tickets.services.record_related_change``); the ticket is always in the current tenant's schema.
"""

from __future__ import annotations

from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import OuterRef

from cmdb import impact
from cmdb.models import CI, AffectedCI
from cmdb.reach import ReachedCI, shaped
from core.exceptions import NotPermitted, ValidationFailed
from tickets import types
from tickets.models import TimelineEntry, ticket_type_label
from tickets.registry import ticket_for_number
from tickets.services import record_related_change

# The name ticket types opt in by (cmdb.extension).
EXTENSION = "cmdb"


def _check_agent(by) -> None:
    if not getattr(by, "is_agent", False):
        raise NotPermitted("Only agents can name affected CIs.")


def _entry_data(ci: CI, action: str) -> dict:
    # The shape of a link entry (tickets/_timeline.html shows label, number and title), naming a CI.
    return {"action": action, "heading": "named an affected CI" if action == "linked" else "removed an affected CI",
            "label": "affected CI", "number": ci.name, "title": str(ci.ci_class),
            "ci": {"id": ci.pk, "name": ci.name, "class": ci.ci_class.key}}


def add_affected(ticket, ci: CI, *, by) -> AffectedCI:
    """Name ``ci`` as affected on ``ticket``; refuses a CI named already, and a retired one."""
    _check_agent(by)
    with transaction.atomic():
        record_related_change(ticket, by=by, kind=TimelineEntry.Kind.LINK, data=_entry_data(ci, "linked"))
        # After the ticket's lock: two agents naming the same CI queue, the second is told.
        label = ticket_type_label(ticket)
        if AffectedCI.objects.filter(ticket_type=label, ticket_id=ticket.pk, ci=ci).exists():
            raise ValidationFailed("This CI is named already.",
                                   fields={"ci": [f"{ci.name} is already an affected CI of {ticket.number}."]})
        if ci.status == CI.Status.RETIRED:
            raise ValidationFailed("A retired CI cannot be affected.", fields={"ci": [f"{ci.name} is retired."]})
        return AffectedCI.objects.create(ticket_type=label, ticket_id=ticket.pk, ci=ci,
                                         added_by=by if getattr(by, "pk", None) else None)


def remove_affected(ticket, ci: CI, *, by) -> None:
    _check_agent(by)
    with transaction.atomic():
        record_related_change(ticket, by=by, kind=TimelineEntry.Kind.LINK, data=_entry_data(ci, "unlinked"))
        named = AffectedCI.objects.filter(ticket_type=ticket_type_label(ticket), ticket_id=ticket.pk, ci=ci)
        if not named.delete()[0]:
            raise ValidationFailed("This CI is not named on the ticket.",
                                   fields={"ci": [f"{ci.name} is not an affected CI of {ticket.number}."]})


# -- reads ------------------------------------------------------------------------------------------

def ticket_with_affected_cis(number: str):
    """The ticket with this number in this tenant, if its type shows affected CIs; else None."""
    ticket = ticket_for_number(number)
    ticket_type = types.for_model(ticket) if ticket is not None else None
    return ticket if ticket_type is not None and EXTENSION in ticket_type.extensions else None


def affected_ci_ids(model, ticket_id: int) -> list[int]:
    return list(AffectedCI.objects.filter(ticket_type=ticket_type_label(model), ticket_id=ticket_id)
                .order_by("added_at", "id").values_list("ci_id", flat=True))


def affected_ids_expression(model):
    """The ticket's affected CI ids as a column of a ticket query (the API detail reads them with the ticket)."""
    return ArraySubquery(AffectedCI.objects.filter(ticket_type=ticket_type_label(model), ticket_id=OuterRef("pk"))
                         .order_by("added_at", "id").values("ci_id"))


def _cis(ids) -> dict[int, CI]:
    return CI.objects.select_related("ci_class", "support_group").in_bulk(list(ids))


def affected_cis(ticket) -> list[CI]:
    return cis_in_order(affected_ci_ids(type(ticket), ticket.pk))


def cis_in_order(ids: list[int]) -> list[CI]:
    found = _cis(ids)
    return [found[pk] for pk in ids if pk in found]


def impacted_services_of(ci_ids: list[int], *, depth: int = impact.DEFAULT_DEPTH) -> list[ReachedCI]:
    """Every business service ``ci_ids`` take down, with its path, most direct first (then by name).

    The affected CIs that are services count at depth 0. The walk keeps only services in the database
    (``cmdb.impact.impacted_services``), so a ticket naming a core switch loads its few services, not the
    thousands of CIs behind them.
    """
    return shaped(impact.impacted_services(ci_ids, depth=depth)) if ci_ids else []


def impacted_services(ticket) -> list[ReachedCI]:
    return impacted_services_of(affected_ci_ids(type(ticket), ticket.pk))
