"""Problem API shapes. Ids in input resolve only inside the current tenant's schema."""

from rest_framework import serializers

from accounts.models import AssignmentGroup, User
from problems.models import Problem, ResolutionCode, RootCauseCategory
from core.api.strict import StrictInputMixin
from tickets.api.serializers import TicketSerializer
from tickets.models import Category, Channel, Impact, Urgency

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


class ProblemInputSerializer(StrictInputMixin, serializers.ModelSerializer):
    requester = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                                   help_text="User id (default: the caller).")
    assignment_group = serializers.PrimaryKeyRelatedField(queryset=AssignmentGroup.objects.filter(is_active=True),
                                                          required=False, allow_null=True,
                                                          help_text="The problem owner group's id.")
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True,
                                                  help_text="The problem owner (an agent of the group).")
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(is_active=True),
                                                  required=False, allow_null=True)
    root_cause_category = serializers.ChoiceField(choices=RootCauseCategory.choices, required=False, allow_blank=True)

    class Meta:
        model = Problem
        fields = ("title", "description", "impact", "urgency", "category", "requester", "assignment_group",
                  "assignee", "channel", *PROBLEM_FIELDS)


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
