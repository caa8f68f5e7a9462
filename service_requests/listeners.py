"""A request follows its items: when the last open item closes, the request closes, in the same transaction."""

from service_requests import services
from service_requests.models import RequestedItem, ServiceRequest
from tickets import events


@events.subscribe_in_transaction(events.TRANSITIONED)
def close_request_when_items_are_done(event):
    item = event.ticket
    if isinstance(item, RequestedItem) and item.state not in RequestedItem.workflow.open_states:
        services.close_request_if_done(item.request_id)


def all_items_closed(ticket) -> str | None:
    """The guard of a request's close (tickets.guards): no item may still be open."""
    if not isinstance(ticket, ServiceRequest):
        return None
    open_numbers = list(ticket.items.filter(state__in=RequestedItem.workflow.open_states)
                        .order_by("pk").values_list("number", flat=True))
    if open_numbers:
        return f"{len(open_numbers)} item{'s' if len(open_numbers) > 1 else ''} still open: {', '.join(open_numbers)}."
    return None
