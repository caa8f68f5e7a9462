"""Problem API shapes. Ids in input resolve only inside the current tenant's schema."""

from rest_framework import serializers

from problems.models import Problem, ResolutionCode, RootCauseCategory
from tickets.api.serializers import TicketInputSerializer, TicketSerializer
from tickets.models import Channel

PROBLEM_FIELDS = ("affected_service", "root_cause_category", "root_cause", "workaround", "permanent_fix", "rca_notes")


class ProblemSerializer(TicketSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="problem-detail", lookup_field="number")
    root_cause_category = serializers.ChoiceField(choices=RootCauseCategory.choices, allow_blank=True, read_only=True)
    resolution_code = serializers.ChoiceField(choices=ResolutionCode.choices, allow_blank=True, read_only=True)
    is_known_error = serializers.BooleanField(read_only=True)

    class Meta:
        model = Problem
        fields = (*TicketSerializer.COMMON_FIELDS, *PROBLEM_FIELDS, "resolution_code", "resolution_notes",
                  "cancel_reason", "is_known_error", "known_error_published_at")
        read_only_fields = fields

    def row_is_known_error(self):  # Problem.is_known_error, from its column (tickets.api.rows)
        return ("known_error_published_at",), lambda context: lambda row: row["known_error_published_at"] is not None


class ProblemInputSerializer(TicketInputSerializer):
    root_cause_category = serializers.ChoiceField(choices=RootCauseCategory.choices, required=False, allow_blank=True)

    class Meta:
        model = Problem
        fields = (*TicketInputSerializer.COMMON_INPUT_FIELDS, *PROBLEM_FIELDS)


class ProblemCreateSerializer(ProblemInputSerializer):
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)


class ProblemUpdateSerializer(ProblemInputSerializer):
    unknown_field_message = "Unknown or read-only field (state-related fields change only through actions)."


class KnownErrorSerializer(serializers.ModelSerializer):
    """A published known error: the problem's symptom, cause and workaround."""

    problem = serializers.HyperlinkedIdentityField(view_name="problem-detail", lookup_field="number")
    state_label = serializers.CharField(read_only=True)
    category = serializers.SerializerMethodField()

    class Meta:
        model = Problem
        fields = ("number", "problem", "title", "state", "state_label", "category", "affected_service",
                  "root_cause_category", "root_cause", "workaround", "known_error_published_at")
        read_only_fields = fields

    def get_category(self, problem) -> dict | None:
        return {"id": problem.category_id, "name": problem.category.name} if problem.category_id else None
