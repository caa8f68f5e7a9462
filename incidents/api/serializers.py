"""Incident API shapes. Ids in input resolve only inside the current tenant's schema."""

from rest_framework import serializers

from incidents.models import HoldReason, Incident, ResolutionCode
from tickets.api.serializers import TicketInputSerializer, TicketSerializer
from tickets.models import Channel


class IncidentSerializer(TicketSerializer):
    """An incident as the API returns it; ``available_actions`` depends on the caller's role."""

    url = serializers.HyperlinkedIdentityField(view_name="incident-detail", lookup_field="number")
    parent = serializers.CharField(source="parent_number", read_only=True, allow_null=True,
                                   help_text="The parent incident's number, if this one is a child.")
    # Declared so the schema admits "" (not on hold / not resolved) besides the choices.
    hold_reason = serializers.ChoiceField(choices=HoldReason.choices, allow_blank=True, read_only=True)
    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Incident
        fields = (*TicketSerializer.COMMON_FIELDS, "is_major", "parent", "hold_reason", "resolution_code",
                  "resolution_notes", "cancel_reason")
        read_only_fields = fields


class IncidentInputSerializer(TicketInputSerializer):
    """Fields shared by create and edit (the parent is a number)."""

    parent = serializers.SlugRelatedField(slug_field="number", queryset=Incident.objects.all(), required=False,
                                          allow_null=True,
                                          help_text="Parent incident number, e.g. INC0001001 (agents only).")

    class Meta:
        model = Incident
        fields = (*TicketInputSerializer.COMMON_INPUT_FIELDS, "is_major", "parent")


class IncidentCreateSerializer(IncidentInputSerializer):
    """Requesters may set title, description, impact, urgency and category; the rest is for agents."""

    AGENT_ONLY = ("requester", "assignment_group", "assignee", "channel", "is_major", "parent")

    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API,
                                      help_text="How it was reported (agents only; default api).")

    def validate(self, attrs):
        user = self.context["request"].user
        if not user.is_agent:
            refused = [name for name in self.AGENT_ONLY if name in self.initial_data]
            if refused:
                raise serializers.ValidationError({name: ["Only agents can set this field."] for name in refused})
            # A requester reports for themselves, through the API channel.
            attrs["requester"] = user
            attrs["channel"] = Channel.API
        return attrs


class IncidentUpdateSerializer(IncidentInputSerializer):
    """Agents only. State and resolution fields change only through the actions endpoints."""

    unknown_field_message = "Unknown or read-only field (state-related fields change only through actions)."
