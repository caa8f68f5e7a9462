from incidents import hierarchy
from incidents.api.serializers import IncidentCreateSerializer, IncidentSerializer, IncidentUpdateSerializer
from incidents.filters import IncidentFilter
from incidents.models import Incident
from tickets.api.base import TicketViewSet


class IncidentViewSet(TicketViewSet):
    """Incidents by number (INC0001001); requesters see and act on their own only.

    Writes go to the services incidents registered (incidents/ticket_type.py): a requester's reply
    to a recently resolved incident reopens it, resolving a parent resolves its children.
    """

    model = Incident
    serializer_class = IncidentSerializer
    create_serializer_class = IncidentCreateSerializer
    update_serializer_class = IncidentUpdateSerializer
    filterset_class = IncidentFilter

    # The parent's number is part of every row (a "parent of" link), read in the same query.
    def list_queryset(self):
        return hierarchy.with_parent_number(super().list_queryset())

    def detail_queryset(self):
        return hierarchy.with_parent_number(super().detail_queryset())

    def created(self, ticket, data):
        parent = data.get("parent")
        ticket.parent_number = parent.number if parent is not None else None
        return ticket
