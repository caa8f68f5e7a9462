"""Serializers every ticket type's API shares: references, the timeline, attachments, inputs.

Serializers only check the shape of input; the services decide what is allowed.
"""

from django import forms
from django.core.validators import RegexValidator
from django.db import models
from django.utils.text import capfirst
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from core.api.strict import StrictInputMixin
from accounts.models import AssignmentGroup, User
from tickets.models import Attachment, Category, Channel, Impact, TimelineEntry, Urgency
from tickets.workflow import AGENT, REQUESTER


def caller_role(user) -> str:
    """The workflow role of an API caller on a ticket they can see (requesters see only their own)."""
    return AGENT if user.is_agent else REQUESTER


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)


class GroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    parent_id = serializers.IntegerField(read_only=True, allow_null=True)


# Output fields on hot paths (50-200 rows per list page). DRF's generic lookups inspect the
# signature of every callable source on every row; these read the value directly.


@extend_schema_field(OpenApiTypes.STR)
class DisplayField(serializers.Field):
    """The human label of a choice field (``get_<name>_display``)."""

    def __init__(self, field_name: str, **kwargs):
        self.display_method = f"get_{field_name}_display"
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance):
        return getattr(instance, self.display_method)()


class RefField(serializers.Field):
    """A related object as a small ``{"id", "name"}`` reference (null when unset).

    ``row_columns`` (the related model's columns it shows) and ``row_name`` (the reference from the id and
    those columns) build it, from an instance here and from value rows in the API list (tickets.api.rows).
    """

    row_columns: tuple[str, ...] = ("name",)

    @staticmethod
    def row_name(pk, columns: dict) -> dict:
        return {"id": pk, "name": columns["name"]}

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return getattr(instance, self.source_attrs[-1]) if len(self.source_attrs) == 1 else super().get_attribute(instance)

    def to_representation(self, value):
        return self.row_name(value.pk, {column: getattr(value, column) for column in self.row_columns})


class _UserRef(RefField):
    row_columns = ("full_name", "email")

    @staticmethod
    def row_name(pk, columns: dict) -> dict:
        return {"id": pk, "name": User.label(columns["full_name"], columns["email"])}


@extend_schema_field(UserRefSerializer)
class RequiredUserRefField(_UserRef):
    pass


@extend_schema_field(UserRefSerializer(allow_null=True))
class UserRefField(_UserRef):
    pass


@extend_schema_field(GroupRefSerializer(allow_null=True))
class GroupRefField(RefField):
    pass


@extend_schema_field(CategoryRefSerializer(allow_null=True))
class CategoryRefField(RefField):
    row_columns = ("name", "parent_id")

    @staticmethod
    def row_name(pk, columns: dict) -> dict:
        return {"id": pk, "name": columns["name"], "parent_id": columns["parent_id"]}


class AvailableActionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="POST to actions/{name}/ to take it.")
    label = serializers.CharField()
    requires = serializers.ListField(child=serializers.CharField(), help_text="Fields the body must contain.")
    accepts = serializers.ListField(child=serializers.CharField(), help_text="Further fields the body may contain.")


class TicketSerializer(serializers.ModelSerializer):
    """Output shared by every ticket type. Subclasses set ``Meta.model``, ``Meta.fields`` and ``url``."""

    state_label = serializers.CharField(read_only=True)
    priority_label = DisplayField("priority")
    impact_label = DisplayField("impact")
    urgency_label = DisplayField("urgency")
    requester = RequiredUserRefField()
    assignee = UserRefField(allow_null=True)
    assignment_group = GroupRefField(allow_null=True)
    category = CategoryRefField(allow_null=True)
    available_actions = serializers.SerializerMethodField(
        help_text="The workflow actions the caller may take now, in their role.")

    COMMON_FIELDS = (
        "url", "id", "number", "title", "description", "description_html", "state", "state_label",
        "priority", "priority_label", "impact", "impact_label", "urgency", "urgency_label", "category", "channel",
        "requester", "assignee", "assignment_group", "opened_at", "first_response_at", "resolved_at", "closed_at",
        "updated_at", "version", "available_actions",
    )

    @extend_schema_field(AvailableActionSerializer(many=True))
    def get_available_actions(self, ticket):
        request = self.context.get("request")
        if request is None:
            return []
        return available_actions(ticket.workflow, ticket.state, caller_role(request.user))

    # The same fields from value rows (tickets.api.rows): (columns read, factory(context) -> row function).
    def row_state_label(self):
        states = self.Meta.model.workflow.states
        return ("state",), lambda context: lambda row: str(states.get(row["state"], row["state"]))

    def row_available_actions(self):
        workflow = self.Meta.model.workflow

        def factory(context):
            request = context.get("request")
            if request is None:
                return lambda row: []
            role = caller_role(request.user)
            by_state = {state: available_actions(workflow, state, role) for state in workflow.states}
            return lambda row: by_state[s] if (s := row["state"]) in by_state else available_actions(workflow, s, role)

        return ("state",), factory


def available_actions(workflow, state: str, role: str) -> list[dict]:
    return [
        {"name": t.name, "label": t.label, "requires": list(t.requires),
         "accepts": [name for name in t.accepts if name not in t.requires]}
        for t in workflow.available(state, role=role)
    ]


class AttachmentSerializer(serializers.ModelSerializer):
    """A file on a ticket; fetch its content from ``download_url``."""

    uploaded_by = UserRefSerializer(read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ("id", "filename", "content_type", "size", "sha256", "is_public", "uploaded_by", "created_at",
                  "download_url")
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment) -> str:
        view = self.context["view"]
        return view.reverse_action("attachment-download",
                                   kwargs={"number": view.ticket.number, "attachment_id": attachment.pk})


class TimelineEntrySerializer(serializers.ModelSerializer):
    """One history entry. ``data`` holds a transition's from/to and fields, or a field change's old/new values."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    author = UserRefSerializer(read_only=True, allow_null=True)
    # "" on entries no channel brought in (system entries, SLA events); declared so the schema admits it.
    channel = serializers.ChoiceField(choices=Channel.choices, allow_blank=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ("id", "kind", "kind_label", "is_public", "author", "channel", "body", "body_html", "data",
                  "attachments", "created_at")
        read_only_fields = fields


EMPTY_COMMENT = "Write a message or attach a file."


class CommentInputSerializer(StrictInputMixin, serializers.Serializer):
    """A reply or work note."""

    # An empty reply is refused (the service says so too); the pattern tells the schema.
    body = serializers.CharField(trim_whitespace=True, help_text="Markdown.",
                                 validators=[RegexValidator(r"\S", message=EMPTY_COMMENT)],
                                 error_messages={"blank": EMPTY_COMMENT})
    is_public = serializers.BooleanField(
        default=True,
        help_text="True (default): a reply the requester sees. False: an internal work note (agents only).")


class TextBooleanField(serializers.BooleanField):
    """A boolean that may come as text (a form part, a query parameter): "true" or "false".

    DRF would also take "0", "on", "yes"..., which the schema's boolean does not admit.
    (Python clients send "True"/"False".)
    """

    TRUE_VALUES = {True, "true", "True"}
    FALSE_VALUES = {False, "false", "False"}


class DefaultTrueBooleanField(TextBooleanField):
    # DRF reads a boolean missing from multipart/form input as False (an unticked checkbox);
    # here an omitted flag must take the field's default instead.
    default_empty_html = empty


class AttachmentUploadSerializer(StrictInputMixin, serializers.Serializer):
    """One file, sent as multipart/form-data."""

    file = serializers.FileField(allow_empty_file=True, use_url=False,
                                 help_text="The file; size and type limits are the tenant's attachment policy.")
    is_public = DefaultTrueBooleanField(
        default=True, help_text="True (default): the requester can see and download it. False: internal (agents only).")


def transition_input_serializer(model, transition, extra_fields=None) -> type[serializers.ModelSerializer]:
    """The body of ``actions/<name>/``, built from the workflow's declaration of that transition.

    ``extra_fields``: the type's own inputs of this action (``TicketType.action_fields``, form fields),
    optional here as on the desk: a checkbox becomes a boolean, anything else text.
    """
    extras = {}
    for name, form_field in (extra_fields or {}).items():
        help_text = " ".join(filter(None, [f"{form_field.label}.", str(form_field.help_text or "")]))
        extras[name] = (serializers.BooleanField(required=False, default=False, help_text=help_text)
                        if isinstance(form_field, forms.BooleanField)
                        else serializers.CharField(required=False, allow_blank=True, help_text=help_text))
    extra_kwargs = {}
    for name in transition.fields:
        model_field = model._meta.get_field(name)
        if name not in transition.requires:
            extra_kwargs[name] = {"required": False}
            continue
        label = capfirst(str(model_field.verbose_name))
        message = f"{label} is required to {transition.label.lower()}."
        kwargs = {"required": True, "error_messages": {"required": message, "null": message, "blank": message}}
        # A blank choice passes through to the service, which refuses it with the same message.
        if isinstance(model_field, (models.CharField, models.TextField)) and not model_field.choices:
            kwargs["allow_blank"] = False
        extra_kwargs[name] = kwargs

    meta = type("Meta", (), {"model": model, "fields": (*transition.fields, *extras, "comment"),
                             "extra_kwargs": extra_kwargs})
    class_name = f"{model.__name__}{''.join(part.title() for part in transition.name.split('_'))}Serializer"
    return type(class_name, (StrictInputMixin, serializers.ModelSerializer), {
        "__doc__": f"Body of the '{transition.name}' action ({transition.label}).",
        "__module__": __name__,
        "Meta": meta,
        "comment": serializers.CharField(required=False, allow_blank=True,
                                         help_text="Optional Markdown note recorded with the state change (public)."),
        "unknown_field_message": f"Not accepted by the '{transition.name}' action.",
        **extras,
    })


class TicketInputSerializer(StrictInputMixin, serializers.ModelSerializer):
    """The fields every ticket type's create and edit bodies share; relations are ids in this tenant.

    A type subclasses it with its ``Meta.model`` and ``Meta.fields`` (``COMMON_INPUT_FIELDS`` plus its own).
    """

    COMMON_INPUT_FIELDS = ("title", "description", "impact", "urgency", "category", "requester", "assignment_group",
                           "assignee", "channel")

    requester = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                                   help_text="User id (agents only; default: the caller).")
    assignment_group = serializers.PrimaryKeyRelatedField(queryset=AssignmentGroup.objects.filter(is_active=True),
                                                          required=False, allow_null=True, help_text="Group id (agents only).")
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True,
                                                  help_text="Agent id (agents only); must be in the group if one is set.")
    impact = serializers.ChoiceField(choices=Impact.choices, required=False, help_text="1 high .. 3 low (default 3).")
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, help_text="1 high .. 3 low (default 3).")
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(is_active=True),
                                                  required=False, allow_null=True)
