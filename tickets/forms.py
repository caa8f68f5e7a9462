"""Forms shared by every ticket type's desk and portal pages: they parse input; the services decide and write."""

import copy

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.text import capfirst

from accounts.models import AssignmentGroup, User
from core.exceptions import AttachmentRejected
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


def agents():
    return User.objects.filter(is_active=True, role__in=[User.Role.AGENT, User.Role.ADMIN]).order_by("full_name")


class TicketFieldsForm(forms.Form):
    """The agent's fields of a ticket, shared by the create page and the detail page's edit panel.

    A type subclasses it, adds its own fields and names them in ``EXTRA_FIELDS`` (rendered in the
    create page's second column); ``ALIASES`` maps service field names to form field names.
    """

    requester = PersonChoiceField(queryset=User.objects.none(), label="Requester", empty_label="Choose a person…",
                                  help_text="The person affected; agents raise tickets on their behalf.")
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

    ALIASES: dict = {}
    # The create page: what happened (left) and classification and routing (right).
    DESCRIBE_FIELDS = ("requester", "title", "description", "category")
    ROUTING_FIELDS = ("impact", "urgency", "channel", "assignment_group", "assignee")
    # The type's own fields, after the routing ones; those not declared on the form are made from
    # ``model``'s fields (label, help text, choices), optional: the service decides what is required.
    EXTRA_FIELDS: tuple = ()
    model = None

    def __init__(self, *args, ticket=None, **kwargs):
        self.ticket = ticket
        super().__init__(*args, **kwargs)
        for name in self.EXTRA_FIELDS:
            if name not in self.fields:
                self.fields[name] = _model_form_field(self.model, name)
        self.fields["requester"].queryset = User.objects.filter(is_active=True).exclude(role=User.Role.OPERATOR)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).select_related("parent")
        self.fields["assignment_group"].queryset = AssignmentGroup.objects.filter(is_active=True)
        self.fields["assignee"].queryset = agents()
        self.fields["title"].widget.attrs.update({"placeholder": "What is broken, for whom"})

    def clean(self):
        # Browsers submit textarea line breaks as CRLF; store what the person typed, not the transport.
        cleaned = super().clean()
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Textarea) and isinstance(cleaned.get(name), str):
                cleaned[name] = cleaned[name].replace("\r\n", "\n")
        return cleaned

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data

    # -- the edit panel ------------------------------------------------------------------------
    def initial_from(self, ticket) -> dict:
        """The form's initial values from a ticket; a type overrides it for fields that are not columns."""
        values = {}
        for name in self.fields:
            if name == "version":
                continue
            try:
                field = ticket._meta.get_field(name)
            except FieldDoesNotExist:  # a form-only field (an incident's parent number): the subclass provides it
                continue
            values[name] = getattr(ticket, field.attname)
        return values

    @classmethod
    def for_ticket(cls, ticket):
        form = cls(ticket=ticket)
        form.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)
        form.initial = {**form.initial_from(ticket), "version": ticket.version}
        return form

    @classmethod
    def bound_for(cls, ticket, data):
        form = cls(data, ticket=ticket)
        form.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)
        return form

    def changes(self) -> dict:
        """Only what differs from the ticket as loaded, so an edit never rewrites untouched fields."""
        def same(current, wanted) -> bool:
            if isinstance(current, str) and isinstance(wanted, str):
                return current.replace("\r\n", "\n").strip() == wanted.strip()
            return current == wanted

        editable = type(self.ticket).EDITABLE_FIELDS
        return {name: value for name, value in self.service_fields().items()
                if name in editable and not same(getattr(self.ticket, name), value)}


def _model_form_field(model, name: str) -> forms.Field:
    model_field = model._meta.get_field(name)
    if model_field.get_internal_type() == "TextField":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                               label=capfirst(str(model_field.verbose_name)), help_text=model_field.help_text)
    field = model_field.formfield(required=False)
    if model_field.choices:
        field.choices = [("", "— Not set —"), *model_field.choices]
    return field


def transition_field(model, name: str) -> forms.Field:
    """The form field for a transition's input, from the model field of that name (choices become a select)."""
    model_field = model._meta.get_field(name)
    label = capfirst(str(model_field.verbose_name))
    if model_field.choices:
        return forms.ChoiceField(choices=[("", "Choose…"), *model_field.choices], required=False, label=label)
    if model_field.get_internal_type() == "TextField":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=label,
                               help_text=model_field.help_text)
    return forms.CharField(max_length=model_field.max_length, required=False, label=label,
                           help_text=model_field.help_text)


class ActionForm(forms.Form):
    """One workflow action with the fields it takes; the service enforces what is required."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Comment",
                              help_text="Optional; shown to the requester.")

    def __init__(self, *args, transition, model, extra_fields=None, **kwargs):
        self.transition = transition
        kwargs.setdefault("prefix", transition.name)
        super().__init__(*args, **kwargs)
        # The type's own extra inputs for this action (tickets.types.TicketType.action_fields).
        self.extra_names = tuple(extra_fields or ())
        for name, field in (extra_fields or {}).items():
            self.fields[name] = copy.deepcopy(field)
        for name in reversed(transition.fields):
            field = transition_field(model, name)
            if name in transition.requires:
                field.widget.attrs["aria-required"] = "true"
                field.required_by_action = True
            self.fields = {name: field, **self.fields}

    def transition_fields(self) -> dict:
        """The inputs the agent filled in: a blank one keeps what the ticket already records (its root cause)."""
        return {name: self.cleaned_data[name] for name in self.transition.fields
                if str(self.cleaned_data.get(name) or "").strip()}

    def extra_values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.extra_names}


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label="Message")
    attachments = AttachmentsField(label="Attach files")


class PortalTicketForm(forms.Form):
    """What a requester fills in to raise a ticket; a type subclasses it for its own questions."""

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
