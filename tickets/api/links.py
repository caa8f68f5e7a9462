"""``.../<number>/links/`` on every ticket type's API: list, add and remove a ticket's links.

Mixed into ``tickets.api.base.TicketViewSet``. Links are for agents (a requester would learn of
tickets they cannot see); the ticket in the URL is looked up like every other endpoint's, so an
unknown number, or another tenant's, is a 404.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.errors import ERROR
from core.api.strict import StrictInputMixin
from tickets.api.serializers import UserRefSerializer
from tickets.links.kinds import side_choices
from tickets.links.queries import links_of
from tickets.links.services import link_by_number, unlink

NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH,
                          description="The ticket number, e.g. INC0001001 (case-insensitive).")
LINK_ID = OpenApiParameter("link_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                           description="The link's id, as listed by GET .../links/.")
KIND_HELP = ("How the link reads from this ticket: causes, caused_by, parent_of, child_of, duplicate_of, "
             "duplicated_by, related_to (and any kind a process registers).")


class LinkedTicketSerializer(serializers.Serializer):
    ticket_type = serializers.SerializerMethodField(help_text='The other ticket\'s type, e.g. "incidents.incident".')
    number = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    state_label = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField(help_text="The other ticket in the API, when its type has an endpoint.")

    def get_ticket_type(self, ticket) -> str:
        return ticket._meta.label_lower

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_url(self, ticket) -> str | None:
        try:
            path = reverse(f"{ticket._meta.model_name}-detail", kwargs={"number": ticket.number})
        except NoReverseMatch:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class TicketLinkSerializer(serializers.Serializer):
    """One link as seen from the ticket in the URL."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(source="side", read_only=True, help_text=KIND_HELP)
    kind_label = serializers.CharField(source="label", read_only=True, help_text='E.g. "caused by".')
    ticket = LinkedTicketSerializer(source="other", read_only=True)
    created_by = UserRefSerializer(source="link.created_by", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(source="link.created_at", read_only=True)


class TicketLinkInputSerializer(StrictInputMixin, serializers.Serializer):
    """Link the ticket in the URL to another one, e.g. ``{"kind": "caused_by", "number": "INC0001001"}``."""

    kind = serializers.ChoiceField(choices=[], help_text=KIND_HELP)
    number = serializers.CharField(max_length=20, help_text="The other ticket's number, of any type.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Kinds registered by process apps after this module was imported count too.
        self.fields["kind"].choices = side_choices()


class TicketLinksMixin:
    """The links endpoints; relies on ``get_ticket``, ``require_agent`` and the serializer context."""

    LINKS_AGENTS_ONLY = "Links between tickets are for the service desk."

    @extend_schema(
        summary="List links",
        description="The ticket's links in both directions, each as it reads from this ticket "
                    "(`caused_by` here is `causes` on the other ticket). Agents only.",
        parameters=[NUMBER],
        responses={200: TicketLinkSerializer(many=True), 403: ERROR, 404: ERROR},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None, filter_backends=[])
    def links(self, request, number=None):
        self.require_agent(self.LINKS_AGENTS_ONLY)
        ticket = self.get_ticket()
        return Response(TicketLinkSerializer(links_of(ticket), many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Add a link",
        description="Links this ticket to the ticket `number` (any type) as `kind`, recorded on both timelines. "
                    "Refused with 400 and a field message for a link to itself, an unknown number, a link "
                    "that exists already (from either side) or a kind that does not fit the two types.",
        parameters=[NUMBER],
        request=TicketLinkInputSerializer,
        responses={201: TicketLinkSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
    )
    @links.mapping.post
    def add_link(self, request, number=None):
        self.require_agent(self.LINKS_AGENTS_ONLY)
        ticket = self.get_ticket()
        serializer = TicketLinkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        made = link_by_number(ticket, serializer.validated_data["kind"], serializer.validated_data["number"],
                              by=request.user)
        data = TicketLinkSerializer(made, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a link",
        description="Removes the link from both tickets (and records it on both timelines). Agents only.",
        parameters=[NUMBER, LINK_ID],
        request=None,
        responses={204: OpenApiResponse(description="Removed."), 403: ERROR, 404: ERROR},
    )
    @action(detail=True, methods=["delete"], url_path=r"links/(?P<link_id>[0-9]+)", url_name="link-detail",
            filterset_class=None, filter_backends=[])
    def remove_link(self, request, number=None, link_id=None):
        self.require_agent(self.LINKS_AGENTS_ONLY)
        ticket = self.get_ticket()
        unlink(ticket, int(link_id), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
