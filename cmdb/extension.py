"""Affected CIs on the page and in the API of every ticket type that opts in (``TicketType(extensions=("cmdb",))``).

Registered with tickets.extensions from ``CmdbConfig.ready()``: the "Affected CIs" card (list, add by
search as you type, remove) with the impacted business services and their paths; on a major incident
every impacted service, also as header badges; and the API detail's ``affected_cis`` and
``impacted_services``, whose ids come in the detail's one query so a ticket with none costs nothing more.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse

from cmdb import affected
from cmdb.api.serializers import CIRefSerializer, ImpactedServiceSerializer, ci_ref, impacted_ref
from tickets.extensions import TicketExtension

# A card lists this many services unless the ticket is a major incident, which shows every one.
SERVICES_SHOWN = 5
COLUMN = "cmdb_affected_ids"


def ci_desk_url(ci_id: int) -> str:
    return reverse("cmdb:detail", args=[ci_id])


def is_major(ticket) -> bool:
    return bool(getattr(ticket, "is_major", False))


class AffectedCIExtension(TicketExtension):
    name = affected.EXTENSION
    side_template = "cmdb/_affected_card.html"

    def annotate(self, tickets) -> None:
        for ticket in tickets:
            ids = affected.affected_ci_ids(type(ticket), ticket.pk)
            ticket.cmdb_affected = affected.cis_in_order(ids) if ids else []
            ticket.cmdb_services = affected.impacted_services_of(ids) if ids else []

    def annotate_rows(self, tickets) -> None:
        pass  # no queue column

    def head(self, ticket) -> str:
        if not is_major(ticket) or not ticket.cmdb_services:
            return ""
        return render_to_string("cmdb/_impact_badges.html", {"services": ticket.cmdb_services})

    def side_context(self, ticket) -> dict:
        services = ticket.cmdb_services
        shown = services if is_major(ticket) else services[:SERVICES_SHOWN]
        return {
            "ticket": ticket,
            "affected": [(ci, ci_desk_url(ci.pk)) for ci in ticket.cmdb_affected],
            "services": [(service, ci_desk_url(service.ci.pk)) for service in shown],
            "more_services": len(services) - len(shown),
            "is_major": is_major(ticket),
            "lookup_url": reverse("cmdb_tickets:lookup", args=[ticket.number]),
            "add_url": reverse("cmdb_tickets:add", args=[ticket.number]),
        }

    # -- the API detail --------------------------------------------------------------------------
    def api_fields(self, ticket_type) -> dict:
        return {
            "affected_cis": CIRefSerializer(many=True, read_only=True,
                                            help_text="The CIs named on the ticket, in the order they were named "
                                                      "(change them at /api/v1/cmdb/tickets/{number}/affected-cis/)."),
            "impacted_services": ImpactedServiceSerializer(
                many=True, read_only=True,
                help_text="Every business service the affected CIs take down, each with its path."),
        }

    def api_columns(self, ticket_type) -> dict:
        return {COLUMN: affected.affected_ids_expression(ticket_type.model)}

    def api_detail(self, model, ticket_id, columns, context) -> dict:
        ids = columns[COLUMN] if columns is not None else affected.affected_ci_ids(model, ticket_id)
        if not ids:
            return {"affected_cis": [], "impacted_services": []}
        request = context.get("request")
        return {"affected_cis": [ci_ref(ci, request) for ci in affected.cis_in_order(ids)],
                "impacted_services": [impacted_ref(s, request) for s in affected.impacted_services_of(ids)]}
