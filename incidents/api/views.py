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

    def list_queryset(self):
        # The parent's number is part of every row.
        return super().list_queryset().select_related("parent")
