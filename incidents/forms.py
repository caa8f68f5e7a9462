"""Forms for the agent desk and the portal: they parse input; the services decide and write."""

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import AssignmentGroup, User
from core.exceptions import AttachmentRejected
from incidents.models import HoldReason, Incident, ResolutionCode
from tickets import attachments as attachment_rules
from tickets.models import Category, Channel, Impact, Urgency


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} <{obj.email}>" if obj.full_name else obj.email


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files, each checked against the tenant's attachment rules before anything is written."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        cleaned = [f for f in (super(AttachmentsField, self).clean(item, initial) for item in files) if f]
        errors = []
        for upload in cleaned:
            try:
                attachment_rules.validate_upload(upload)
            except AttachmentRejected as exc:
                errors.append(exc.message)
        if errors:
            raise ValidationError(errors)
        return cleaned


def _agents():
    return User.objects.filter(is_active=True, role__in=[User.Role.AGENT, User.Role.ADMIN]).order_by("full_name")


class IncidentFieldsForm(forms.Form):
    """The agent's incident fields, shared by the create page and the detail page's edit panel."""

    requester = PersonChoiceField(queryset=User.objects.none(), label="Requester", empty_label="Choose a person…",
                                  help_text="The person affected; agents raise incidents on their behalf.")
    title = forms.CharField(max_length=200, label="Short description")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False,
                                  help_text="Markdown is supported.")
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False, empty_label="— None —")
    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int, initial=Impact.LOW)
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int, initial=Urgency.LOW)
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    assignment_group = forms.ModelChoiceField(queryset=AssignmentGroup.objects.none(), required=False,
                                              label="Assignment group", empty_label="— None —")
    assignee = PersonChoiceField(queryset=User.objects.none(), required=False, label="Assigned to",
                                 empty_label="— Unassigned —")
    is_major = forms.BooleanField(required=False, label="Major incident")
    parent_number = forms.CharField(max_length=20, required=False, label="Parent incident",
                                    help_text="Number of the incident this one is a child of, e.g. INC0001001.")

    ALIASES = {"parent": "parent_number"}

    def __init__(self, *args, incident: Incident | None = None, **kwargs):
        self.incident = incident
        super().__init__(*args, **kwargs)
        self.fields["requester"].queryset = User.objects.filter(is_active=True).exclude(role=User.Role.OPERATOR)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).select_related("parent")
        self.fields["assignment_group"].queryset = AssignmentGroup.objects.filter(is_active=True)
        self.fields["assignee"].queryset = _agents()
        self.fields["title"].widget.attrs.update({"placeholder": "What is broken, for whom"})

    def clean_description(self):
        # Browsers submit textarea line breaks as CRLF; store what the person typed, not the transport.
        return (self.cleaned_data.get("description") or "").replace("\r\n", "\n")

    def clean_parent_number(self):
        number = (self.cleaned_data.get("parent_number") or "").strip().upper()
        if not number:
            return None
        parent = Incident.objects.filter(number=number).first()
        if parent is None:
            raise ValidationError(f"There is no incident {number}.")
        if self.incident is not None and parent.pk == self.incident.pk:
            raise ValidationError("An incident cannot be its own parent.")
        return parent

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["parent"] = data.pop("parent_number", None)
        data.pop("version", None)
        return data


class IncidentEditForm(IncidentFieldsForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    @classmethod
    def for_incident(cls, incident: Incident):
        return cls(incident=incident, initial={
            "requester": incident.requester_id, "title": incident.title, "description": incident.description,
            "category": incident.category_id, "impact": incident.impact, "urgency": incident.urgency,
            "channel": incident.channel, "assignment_group": incident.assignment_group_id,
            "assignee": incident.assignee_id, "is_major": incident.is_major,
            "parent_number": incident.parent.number if incident.parent_id else "", "version": incident.version,
        })

    def changes(self) -> dict:
        """Only what differs from the incident as loaded, so an edit never rewrites untouched fields."""
        def same(current, wanted) -> bool:
            if isinstance(current, str) and isinstance(wanted, str):
                return current.replace("\r\n", "\n").strip() == wanted.strip()
            return current == wanted

        return {name: value for name, value in self.service_fields().items()
                if name in Incident.EDITABLE_FIELDS and not same(getattr(self.incident, name), value)}


# Transition fields: an optional select or text per field name; the workflow says which are required.
ACTION_FIELDS = {
    "hold_reason": lambda: forms.ChoiceField(choices=[("", "Choose a reason…"), *HoldReason.choices], required=False,
                                             label="Hold reason"),
    "resolution_code": lambda: forms.ChoiceField(choices=[("", "Choose a code…"), *ResolutionCode.choices],
                                                 required=False, label="Resolution code"),
    "resolution_notes": lambda: forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                                label="Resolution notes", help_text="Visible to the requester."),
    "cancel_reason": lambda: forms.CharField(max_length=300, required=False, label="Cancel reason"),
}


class ActionForm(forms.Form):
    """One workflow action with the fields it takes; the service enforces what is required."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Comment",
                              help_text="Optional; shown to the requester.")

    def __init__(self, *args, transition, **kwargs):
        self.transition = transition
        kwargs.setdefault("prefix", transition.name)
        super().__init__(*args, **kwargs)
        for name in reversed(transition.fields):
            factory = ACTION_FIELDS.get(name)
            field = factory() if factory else forms.CharField(required=False, label=name.replace("_", " ").capitalize())
            if name in transition.requires:
                field.widget.attrs["aria-required"] = "true"
                field.required_by_action = True
            self.fields = {name: field, **self.fields}

    def transition_fields(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in self.transition.fields}


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label="Message")
    attachments = AttachmentsField(label="Attach files")


class PortalIncidentForm(forms.Form):
    title = forms.CharField(max_length=200, label="What is the problem?",
                            widget=forms.TextInput(attrs={"placeholder": "e.g. I cannot connect to the VPN"}))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False, label="Details",
                                  help_text="What happened, since when, any error message.")
    urgency = forms.TypedChoiceField(coerce=int, initial=Urgency.LOW, label="How urgent is it?", choices=[
        (Urgency.HIGH, "High – I cannot work"),
        (Urgency.MEDIUM, "Medium – I can work, but with difficulty"),
        (Urgency.LOW, "Low – it is an inconvenience"),
    ])
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False, empty_label="Not sure")
    attachments = AttachmentsField(label="Screenshots or files")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).select_related("parent")
