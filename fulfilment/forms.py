"""The task's fields on the desk (create page, edit panel) and the parent page's "Add task" form."""

from django import forms

from fulfilment.models import Task
from fulfilment.services import MAX_STEP
from tickets.forms import PersonChoiceField, TicketFieldsForm, agents
from accounts.models import AssignmentGroup

DUE_HELP = "Date and time in your time zone, e.g. 2026-12-24 17:00."


class TaskFieldsForm(TicketFieldsForm):
    """A task's requester and channel are its parent's: the form asks for the parent instead."""

    model = Task
    parent = forms.CharField(max_length=20, required=False, label="Task of",
                             help_text="The number of the ticket this task is for, e.g. RITM0001001.")
    step = forms.IntegerField(min_value=1, max_value=MAX_STEP, initial=1, required=False,
                              help_text="Tasks with the same step run together; a later step waits for them.")
    due_at = forms.DateTimeField(required=False, label="Due", help_text=DUE_HELP)

    DESCRIBE_FIELDS = ("parent", "title", "description", "category")
    ROUTING_FIELDS = ("impact", "urgency", "assignment_group", "assignee")
    EXTRA_FIELDS = ("step", "due_at")

    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, ticket=ticket, **kwargs)
        del self.fields["requester"], self.fields["channel"]
        self.fields["title"].widget.attrs["placeholder"] = "What to do, e.g. Configure the laptop"
        if ticket is not None:  # the edit panel: parent and step are set once, when the task is made
            del self.fields["parent"], self.fields["step"]

    def service_fields(self) -> dict:
        data = super().service_fields()
        if data.get("step") is None:
            data.pop("step", None)
        return data


class AddTaskForm(forms.Form):
    """The "Add task" form in the tasks card of a parent's page."""

    title = forms.CharField(max_length=200, label="Task")
    assignment_group = forms.ModelChoiceField(queryset=AssignmentGroup.objects.none(), required=False,
                                              label="Group", empty_label="— None —")
    assignee = PersonChoiceField(queryset=Task.objects.none(), required=False, label="Assigned to",
                                 empty_label="— Unassigned —")
    step = forms.IntegerField(min_value=1, max_value=MAX_STEP, initial=1)
    due_at = forms.DateTimeField(required=False, label="Due", help_text=DUE_HELP)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "task")
        super().__init__(*args, **kwargs)
        self.fields["assignment_group"].queryset = AssignmentGroup.objects.filter(is_active=True)
        self.fields["assignee"].queryset = agents()
