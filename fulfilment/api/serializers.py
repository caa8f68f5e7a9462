"""Task API shapes. The parent is named by its number; ids in input resolve only in the current tenant."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fulfilment.models import Task
from fulfilment.services import MAX_STEP
from sla.api.serializers import InstantField
from tickets import types
from tickets.api.serializers import TicketInputSerializer, TicketSerializer


def _slug_of(label: str):
    from django.apps import apps

    try:
        ticket_type = types.for_model(apps.get_model(label))
    except (LookupError, ValueError):
        return None
    return ticket_type.slug if ticket_type is not None else None


class TaskSerializer(TicketSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="task-detail", lookup_field="number")
    parent = serializers.CharField(source="parent_number", read_only=True,
                                   help_text="The number of the ticket this task is for.")
    parent_type = serializers.SerializerMethodField(
        help_text="The parent's type, as its API collection is named (e.g. incidents).")
    step = serializers.IntegerField(read_only=True, help_text="Tasks of one parent with the same step run "
                                                              "together; a step opens when the earlier ones finish.")

    class Meta:
        model = Task
        fields = (*TicketSerializer.COMMON_FIELDS, "parent", "parent_type", "step", "due_at", "hold_reason",
                  "completion_notes", "cancel_reason")
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_parent_type(self, task):
        return _slug_of(task.parent_type)

    def row_parent_type(self):  # the same from value rows (tickets.api.rows)
        return ("parent_type",), lambda context: lambda row: _slug_of(row["parent_type"])


class TaskInputSerializer(TicketInputSerializer):
    due_at = InstantField(required=False, allow_null=True,
                          help_text="When the task is due: an ISO 8601 instant with its offset or Z.")

    class Meta:
        model = Task
        fields = ("title", "description", "impact", "urgency", "category", "assignment_group", "assignee", "due_at")


class TaskCreateSerializer(TaskInputSerializer):
    """A task added by hand; its requester and channel are its parent's, its category and impact x urgency
    too unless given."""

    parent = serializers.CharField(max_length=20, help_text="The number of the ticket the task is for "
                                                            "(any type but a task), e.g. RITM0001001.")
    step = serializers.IntegerField(required=False, min_value=1, max_value=MAX_STEP,
                                    help_text="Default 1. A step opens when every task of the earlier steps is "
                                              "done or cancelled.")

    class Meta(TaskInputSerializer.Meta):
        fields = ("parent", "step", *TaskInputSerializer.Meta.fields)


class TaskUpdateSerializer(TaskInputSerializer):
    unknown_field_message = "Unknown or read-only field (parent and step are set when the task is made; " \
                            "state-related fields change only through actions)."
