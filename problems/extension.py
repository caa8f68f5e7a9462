"""The known-error card on the page of a ticket that opts in (``TicketType(extensions=("known_errors",))``).

It shows the workarounds that apply to the ticket (its linked problems', and the published known
errors of its category) with "apply workaround", and the ways to connect it to a problem:
"create problem from this incident" (prefilled) and "link to problem" (search as you type).
"""

from django.urls import reverse

from problems import links, queries
from problems.models import Problem
from tickets.extensions import TicketExtension


class KnownErrorExtension(TicketExtension):
    name = "known_errors"
    side_template = "problems/_known_error_card.html"

    def side_context(self, ticket) -> dict:
        linked_ids = [problem.pk for problem in links.problems_of(ticket)]
        linked = list(Problem.objects.filter(pk__in=linked_ids).order_by("number")) if linked_ids else []
        matching = [problem for problem in queries.known_errors_for_category(ticket.category_id)[:5]
                    if problem.pk not in linked_ids]
        return {
            "ticket": ticket,
            "linked_problems": linked,
            "known_errors": matching,
            "can_apply": ticket.is_open,
            "create_url": reverse("desk:create", args=["problems"]) + f"?from={ticket.number}",
            "lookup_url": reverse("desk:lookup", args=["problems"]),
            "link_side": links.PROBLEM_OF.side_names[1],
        }
