from incidents import services
from incidents.api.serializers import IncidentCreateSerializer, IncidentSerializer, IncidentUpdateSerializer
from incidents.filters import IncidentFilter
from incidents.models import Incident
from tickets.api.base import TicketViewSet


class IncidentViewSet(TicketViewSet):
    """Incidents by number (INC0001001); requesters see and act on their own only."""

    model = Incident
    serializer_class = IncidentSerializer
    create_serializer_class = IncidentCreateSerializer
    update_serializer_class = IncidentUpdateSerializer
    filterset_class = IncidentFilter

    def list_queryset(self):
        # The parent's number is part of every row.
        return super().list_queryset().select_related("parent")

    def create_ticket(self, data):
        return services.create_incident(by=self.request.user, **data)

    def update_ticket(self, ticket, *, changes, expected_version):
        return services.update_incident(ticket, by=self.request.user, changes=changes,
                                        expected_version=expected_version)

    def transition_ticket(self, ticket, action_name, *, fields, comment, expected_version):
        return services.transition_incident(ticket, action_name, by=self.request.user, fields=fields,
                                            comment=comment, expected_version=expected_version)

    def comment_on_ticket(self, ticket, *, body, is_public):
        # A requester's reply to a recently resolved incident reopens it (incidents.services.add_reply).
        return services.add_reply(ticket, by=self.request.user, body=body, is_public=is_public, channel="api")
