"""Requests (REQ) and requested items (RITM) as registered ticket types."""

from service_requests import services
from service_requests.filters import RequestedItemFilter, ServiceRequestFilter
from service_requests.forms import RequestedItemFieldsForm, ServiceRequestFieldsForm
from service_requests.models import RequestedItem, ServiceRequest
from tickets.types import STANDARD_COUNTERS, Column, TicketType

REQUEST_TYPE = TicketType(
    model=ServiceRequest,
    slug="requests",
    label="Request",
    plural="Requests",
    filterset=ServiceRequestFilter,
    fields_form=ServiceRequestFieldsForm,
    create=services.create_request,
    transition=services.transition_request,
    # Requesters follow their orders in the portal (the orderer too: a watcher); the page lists the items.
    in_portal=True,
    counters=STANDARD_COUNTERS,
    templates={
        "detail_side": "service_requests/_request_side.html",
        "portal_detail": "service_requests/_request_portal.html",
    },
    extensions=("sla",),
    nav_order=30,
)

REQUESTED_ITEM_TYPE = TicketType(
    model=RequestedItem,
    slug="requested-items",
    label="Requested item",
    plural="Requested items",
    filterset=RequestedItemFilter,
    fields_form=RequestedItemFieldsForm,
    create=services.create_requested_item,
    # Each item's state is what the requester waits for: awaiting approval, in fulfilment, fulfilled.
    in_portal=True,
    # The request's "we have received it" covers its items: one order, one mail.
    mail_on_create=False,
    counters=STANDARD_COUNTERS,
    templates={
        "detail_main": "service_requests/_item_main.html",
        "detail_side": "service_requests/_item_side.html",
        "portal_detail": "service_requests/_item_main.html",
    },
    extra_columns=(Column("Qty", lambda item: str(item.quantity)),),
    detail_related=("created_by", "request", "catalog_item"),
    # Its approval chain and its fulfilment tasks on its page (approvals/, fulfilment/).
    extensions=("sla", "approvals", "tasks"),
    nav_order=31,
)
