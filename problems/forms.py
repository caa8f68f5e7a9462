"""The problem's own form fields: made from the model (tickets.forms.TicketFieldsForm), with a problem's labels."""

from problems.models import Problem
from tickets.forms import TicketFieldsForm


class ProblemFieldsForm(TicketFieldsForm):
    model = Problem
    EXTRA_FIELDS = ("affected_service", "root_cause_category", "root_cause", "workaround", "permanent_fix",
                    "rca_notes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment_group"].label = "Problem owner group"
        self.fields["assignee"].label = "Problem owner"
        self.fields["requester"].label = "Raised by"
        self.fields["requester"].help_text = "Who reported the problem (often the agent who spotted the pattern)."
        self.fields["title"].widget.attrs["placeholder"] = "The symptom the incidents share"
        self.fields["root_cause"].help_text = "Required to leave root cause analysis."
