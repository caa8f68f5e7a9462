"""The problem's own form fields; the shared ticket forms do the rest (tickets.forms)."""

from django import forms

from problems.models import RootCauseCategory
from tickets.forms import TicketFieldsForm


class ProblemFieldsForm(TicketFieldsForm):
    affected_service = forms.CharField(max_length=200, required=False, label="Affected service",
                                       help_text="The business service it hurts, e.g. Payroll, VPN.")
    root_cause_category = forms.ChoiceField(choices=[("", "— Not known yet —"), *RootCauseCategory.choices],
                                            required=False, label="Root cause category")
    root_cause = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Root cause",
                                 help_text="Required to leave root cause analysis.")
    workaround = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Workaround",
                                 help_text="How to restore service until the fix; published with the known error.")
    permanent_fix = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Permanent fix")
    rca_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label="RCA notes",
                                help_text="Five whys and the timeline of events.")

    EXTRA_FIELDS = ("affected_service", "root_cause_category", "root_cause", "workaround", "permanent_fix",
                    "rca_notes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment_group"].label = "Problem owner group"
        self.fields["assignee"].label = "Problem owner"
        self.fields["requester"].label = "Raised by"
        self.fields["requester"].help_text = "Who reported the problem (often the agent who spotted the pattern)."
        self.fields["title"].widget.attrs["placeholder"] = "The symptom the incidents share"

    def clean(self):
        cleaned = super().clean()
        for name in ("root_cause", "workaround", "permanent_fix", "rca_notes"):
            cleaned[name] = (cleaned.get(name) or "").replace("\r\n", "\n")
        return cleaned
