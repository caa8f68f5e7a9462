"""Problems as a registered ticket type: what the shared desk, API and mails need to know."""

from django import forms
from django.db.models import Q

from problems import links, services
from problems.filters import ProblemFilter
from problems.forms import ProblemFieldsForm
from problems.models import Problem
from tickets.types import STANDARD_COLUMNS, STANDARD_COUNTERS, Column, Counter, TicketType, Toggle


def _row_tags(problem):
    return [("Known error", "tag-known-error", "Workaround published for agents")] if problem.is_known_error else []


PROBLEM_TYPE = TicketType(
    model=Problem,
    slug="problems",
    label="Problem",
    plural="Problems",
    filterset=ProblemFilter,
    fields_form=ProblemFieldsForm,
    create=services.create_problem,
    transition=services.transition_problem,
    # Problems are the desk's own work: requesters do not follow them in the portal.
    in_portal=False,
    counters=(*STANDARD_COUNTERS,
              Counter("known_errors", "Known errors", "known_error=true",
                      lambda user: Q(known_error_published_at__isnull=False))),
    toggles=(Toggle("mine", "Mine"), Toggle("unassigned", "Unassigned"), Toggle("known_error", "Known errors")),
    templates={
        "detail_badges": "problems/_detail_badges.html",
        "detail_main": "problems/_detail_main.html",
        "detail_side": "problems/_detail_side.html",
    },
    row_tags=_row_tags,
    # The service a problem hurts says more in the queue than who raised it.
    columns=tuple(c for c in STANDARD_COLUMNS if c != "requester"),
    extra_columns=(Column("Affected service", lambda problem: problem.affected_service),),
    create_from=links.PROBLEM_OF.side_names[0],  # "create problem from this incident"
    action_fields={"resolve": {
        "resolve_incidents": forms.BooleanField(
            required=False, label="Also resolve the linked open incidents",
            help_text="Each is resolved through its own workflow, with the note below on its timeline."),
        "incident_note": forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                         label="Note for the incidents",
                                         help_text="Default: the problem's resolution notes."),
    }},
    # The CIs a problem concerns and the business services they take down.
    extensions=("cmdb",),
    desk_urls="problems.urls_desk",
    nav_links=(("Known errors", "desk:known_errors"),),
    nav_order=20,
)
