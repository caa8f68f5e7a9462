"""API shapes: approval requests (what I decide), their chain, decisions; chain definitions (tenant admins)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.models import AssignmentGroup
from approvals.models import (
    ApprovalChainDefinition,
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStage,
    GroupMode,
    StageDefinition,
    StageKind,
    TimeoutAction,
)
from approvals.services import DECISIONS
from core.api.strict import StrictInputMixin
from sla.models import Calendar


class ApprovalPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class ApprovalTicketRefSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    type = serializers.CharField(source="_meta.label_lower")


class ApprovalStageRefSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.CharField()
    state = serializers.ChoiceField(choices=ApprovalStage.State.choices)


class ApprovalRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    chain_name = serializers.CharField()
    state = serializers.CharField()
    reason = serializers.CharField()


class ApprovalRequestSerializer(serializers.ModelSerializer):
    """One person asked to decide one stage."""

    approver = ApprovalPersonSerializer()
    decided_by = ApprovalPersonSerializer(allow_null=True)
    stage = ApprovalStageRefSerializer()
    approval = ApprovalRefSerializer(source="stage.approval")
    ticket = ApprovalTicketRefSerializer(source="stage.approval.ticket", allow_null=True)

    class Meta:
        model = ApprovalRequest
        fields = ["id", "state", "approver", "is_escalation", "stage", "approval", "ticket", "created_at",
                  "decided_at", "decided_by", "comment"]


class ApprovalDecisionLogSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ApprovalDecision.Decision.choices)
    by = serializers.CharField()
    for_whom = serializers.CharField(allow_null=True, help_text="The approver a delegate decided for.")
    comment = serializers.CharField()
    via = serializers.ChoiceField(choices=ApprovalDecision.Via.choices)
    at = serializers.DateTimeField()


class ApprovalChainRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    approver = ApprovalPersonSerializer()
    state = serializers.ChoiceField(choices=ApprovalRequest.State.choices)
    is_escalation = serializers.BooleanField()
    decisions = ApprovalDecisionLogSerializer(source="decision_log", many=True)


class ApprovalChainStageSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=StageKind.choices)
    state = serializers.ChoiceField(choices=ApprovalStage.State.choices)
    required = serializers.IntegerField(help_text="Approvals the stage needs.")
    skip_reason = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    requests = ApprovalChainRequestSerializer(source="request_list", many=True)


class ApprovalSummaryRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField()


class ApprovalRequestDetailSerializer(ApprovalRequestSerializer):
    summary = ApprovalSummaryRowSerializer(many=True, help_text="What the approver sees about the ticket.")
    stages = ApprovalChainStageSerializer(many=True, help_text="The whole chain so far.")

    class Meta(ApprovalRequestSerializer.Meta):
        fields = [*ApprovalRequestSerializer.Meta.fields, "summary", "stages"]


class DecideInputSerializer(StrictInputMixin, serializers.Serializer):
    decision = serializers.ChoiceField(choices=DECISIONS)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="",
                                    help_text="Required to reject (the reason) and to ask for information (the question).")


# -- chain definitions --------------------------------------------------------------------------------

def _people():
    return get_user_model().objects.all()


class StageInputSerializer(StrictInputMixin, serializers.Serializer):
    order = serializers.IntegerField(min_value=1, max_value=1000)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=StageKind.values)
    user = serializers.PrimaryKeyRelatedField(queryset=_people(), allow_null=True, required=False, default=None)
    group = serializers.PrimaryKeyRelatedField(queryset=AssignmentGroup.objects.all(), allow_null=True, required=False,
                                               default=None)
    group_mode = serializers.ChoiceField(choices=GroupMode.values, required=False, default=GroupMode.ANY)
    quorum = serializers.IntegerField(min_value=1, max_value=1000, allow_null=True, required=False, default=None)
    rule_condition = serializers.JSONField(required=False, default=dict,
                                           help_text='e.g. {"all": [{"fact": "price", "op": "gt", "value": 1000}]}')
    skip_condition = serializers.JSONField(required=False, default=dict, help_text="Empty: never skipped.")
    reminder_after_hours = serializers.IntegerField(min_value=0, max_value=10000, required=False, default=0)
    timeout_after_hours = serializers.IntegerField(min_value=0, max_value=10000, required=False, default=0)
    timeout_action = serializers.ChoiceField(choices=["", *TimeoutAction.values], required=False, default="",
                                             allow_blank=True)
    escalate_to = serializers.PrimaryKeyRelatedField(queryset=_people(), allow_null=True, required=False, default=None)
    calendar = serializers.PrimaryKeyRelatedField(queryset=Calendar.objects.all(), allow_null=True, required=False,
                                                  default=None, help_text="Null: the built-in 24x7 calendar.")


class ChainInputSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    is_active = serializers.BooleanField(required=False, default=True)
    stages = StageInputSerializer(many=True, allow_empty=True)


class StageDefinitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = StageDefinition
        fields = ["order", "name", "kind", "user", "group", "group_mode", "quorum", "rule_condition",
                  "skip_condition", "reminder_after_hours", "timeout_after_hours", "timeout_action", "escalate_to",
                  "calendar"]


class ChainSerializer(serializers.ModelSerializer):
    stages = StageDefinitionSerializer(many=True)

    class Meta:
        model = ApprovalChainDefinition
        fields = ["id", "name", "description", "is_active", "created_at", "updated_at", "stages"]
