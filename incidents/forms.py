"""The incident's own form fields; the shared ticket forms do the rest (tickets.forms)."""

from django import forms
from django.core.exceptions import ValidationError

from incidents import hierarchy
from incidents.models import Incident
from tickets.forms import TicketFieldsForm


class IncidentFieldsForm(TicketFieldsForm):
    """The agent's incident fields, shared by the create page and the detail page's edit panel."""

    is_major = forms.BooleanField(required=False, label="Major incident")
    parent_number = forms.CharField(max_length=20, required=False, label="Parent incident",
                                    help_text="Number of the incident this one is a child of, e.g. INC0001001.")

    ALIASES = {"parent": "parent_number"}
    EXTRA_FIELDS = ("parent_number", "is_major")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requester"].help_text = "The person affected; agents raise incidents on their behalf."

    def clean_parent_number(self):
        number = (self.cleaned_data.get("parent_number") or "").strip().upper()
        if not number:
            return None
        parent = Incident.objects.filter(number=number).first()
        if parent is None:
            raise ValidationError(f"There is no incident {number}.")
        if self.ticket is not None and parent.pk == self.ticket.pk:
            raise ValidationError("An incident cannot be its own parent.")
        return parent

    def initial_from(self, ticket) -> dict:
        values = super().initial_from(ticket)
        parent = hierarchy.parent_of(ticket)
        values["parent_number"] = parent.number if parent is not None else ""
        return values

    def service_fields(self) -> dict:
        data = super().service_fields()
        data["parent"] = data.pop("parent_number", None)
        return data
