"""Problem actions: the shared ticket services plus what is a problem's own (known errors)."""

from django.db import transaction
from django.utils import timezone

from problems import links
from problems.models import Problem
from tickets import services as ticket_services
from tickets import types
from core.exceptions import NotPermitted, TicketError, ValidationFailed
from tickets.models import Channel


def create_problem(*, by, requester=None, title, description="", channel=Channel.PHONE, impact=3, urgency=3,
                   category=None, assignment_group=None, assignee=None, watchers=(), **problem_fields):
    """``problem_fields``: affected_service, root_cause_category, root_cause, workaround, permanent_fix, rca_notes."""
    unknown = set(problem_fields) - {"affected_service", "root_cause_category", "root_cause", "workaround",
                                     "permanent_fix", "rca_notes"}
    if unknown:
        raise ValidationFailed("The problem could not be created.",
                               fields={name: ["Unknown field."] for name in sorted(unknown)})
    fields = {"description": description or "", "impact": impact, "urgency": urgency, "category": category,
              "assignment_group": assignment_group, "assignee": assignee, **problem_fields}
    return ticket_services.create_ticket(Problem, by=by, requester=requester or by, title=title, channel=channel,
                                         fields=fields, watchers=watchers)


def publish_known_error(problem, *, by, expected_version=None) -> Problem:
    """Publish the problem's workaround as a known error, for every agent to find and apply."""
    if problem.is_known_error:
        raise ValidationFailed(f"{problem.number} is already a published known error.",
                               fields={"known_error": ["Already published."]})
    if not problem.workaround.strip():
        raise ValidationFailed(f"Cannot publish {problem.number} as a known error.",
                               fields={"workaround": ["Document the workaround before publishing the known error."]})
    return ticket_services.update_ticket(problem, by=by, changes={"known_error_published_at": timezone.now()},
                                         expected_version=expected_version,
                                         service_fields=("known_error_published_at",))


def retire_known_error(problem, *, by, expected_version=None) -> Problem:
    if not problem.is_known_error:
        raise ValidationFailed(f"{problem.number} is not a published known error.",
                               fields={"known_error": ["Not published."]})
    return ticket_services.update_ticket(problem, by=by, changes={"known_error_published_at": None},
                                         expected_version=expected_version,
                                         service_fields=("known_error_published_at",))


def transition_problem(problem, action, *, by, fields=None, expected_version=None, comment="",
                       resolve_incidents=False, incident_note=""):
    """Any problem action; resolving may also resolve the problem's linked open incidents, with a note.

    One transaction: if any linked incident cannot be resolved, the problem is not resolved either,
    and the refusal names the incident.
    """
    with transaction.atomic():
        problem = ticket_services.transition(problem, action, by=by, fields=fields,
                                             expected_version=expected_version, comment=comment)
        if action == "resolve" and resolve_incidents:
            note = (incident_note or "").strip() or f"Resolved by the fix of problem {problem.number}: " \
                                                     f"{problem.resolution_notes}"
            for ticket in links.open_linked_tickets(problem):
                ticket_type = types.for_model(ticket)
                if ticket_type is None or ticket_type.resolve_with_note is None:
                    continue
                try:
                    ticket_type.resolve_with_note(ticket, by=by, note=note)
                except TicketError as exc:
                    detail = "; ".join(m for ms in exc.fields.values() for m in ms) or exc.message
                    raise ValidationFailed(f"{problem.number} was not resolved: {ticket.number} could not be resolved.",
                                           fields={"resolve_incidents": [f"{ticket.number}: {detail}"]}) from exc
    return problem


def apply_workaround(problem, ticket, *, by, as_work_note: bool):
    """Add the problem's workaround to ``ticket`` as a reply (the requester sees it) or a work note.

    Only from a published known error or a problem the ticket is linked to, and only to an open ticket.
    """
    if not by.is_agent:
        raise NotPermitted("Only agents can apply a workaround.")
    if not problem.workaround.strip():
        raise ValidationFailed(f"{problem.number} has no workaround to apply.",
                               fields={"workaround": ["Document the workaround first."]})
    if not problem.is_known_error and problem.pk not in {p.pk for p in links.problems_of(ticket)}:
        raise ValidationFailed(f"{problem.number} is neither a published known error nor linked to {ticket.number}.",
                               fields={"problem": ["Publish the known error or link the problem first."]})
    if not ticket.is_open:
        raise ValidationFailed(f"{ticket.number} is {ticket.state_label.lower()}: nothing to apply a workaround to.",
                               fields={"number": ["Only open tickets take a workaround."]})
    ticket_type = types.for_model(ticket)
    body = f"Workaround from {'known error' if problem.is_known_error else 'problem'} {problem.number} " \
           f"({problem.title}):\n\n{problem.workaround}"
    return ticket_type.comment(ticket, by=by, body=body, is_public=not as_work_note)
