"""The desk's affected-CI actions on any ticket whose type opts in: find a CI, add it, remove it.

The ticket's page belongs to its type, so each action answers with a redirect back to it (and a
message saying what happened or why not); the lookup answers htmx with the matching CIs, each with
its own "add" button.
"""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import agent_required
from cmdb import affected
from cmdb.models import CI
from core.exceptions import TicketError

LOOKUP_LIMIT = 10


def _ticket(number: str):
    """The ticket, if its type shows affected CIs; 404 alike for a missing ticket and a type without them."""
    ticket = affected.ticket_with_affected_cis(number)
    if ticket is None:
        raise Http404(f"No ticket {number.upper()} with affected CIs.")
    return ticket


def _back(ticket):
    return redirect((ticket.get_desk_url() or "/desk/") + "#affected-cis")


def _ci(value) -> CI | None:
    return CI.objects.select_related("ci_class").filter(pk=int(value)).first() if str(value).isdigit() else None


@agent_required
def lookup(request, number):
    """Search as you type: CIs whose name, FQDN or serial number contains the words, not yet on the ticket."""
    ticket = _ticket(number)
    q = (request.GET.get("q") or "").strip()
    rows = []
    if q:
        named = affected.affected_ci_ids(type(ticket), ticket.pk)
        rows = list(CI.objects.select_related("ci_class")
                    .filter(Q(name__icontains=q) | Q(fqdn__icontains=q) | Q(serial_number__iexact=q))
                    .exclude(status=CI.Status.RETIRED).exclude(pk__in=named).order_by("name", "id")[:LOOKUP_LIMIT])
    return render(request, "cmdb/_affected_lookup.html", {"rows": rows, "q": q, "ticket": ticket})


@agent_required
@require_POST
def add(request, number):
    ticket = _ticket(number)
    ci = _ci(request.POST.get("ci", ""))
    if ci is None:
        messages.error(request, "Choose a CI from the search results.")
        return _back(ticket)
    try:
        affected.add_affected(ticket, ci, by=request.user)
    except TicketError as exc:
        messages.error(request, exc.describe())
    else:
        messages.success(request, f"{ci.name} is now an affected CI of {ticket.number}.")
    return _back(ticket)


@agent_required
@require_POST
def remove(request, number, ci_id):
    ticket = _ticket(number)
    ci = get_object_or_404(CI, pk=ci_id)
    try:
        affected.remove_affected(ticket, ci, by=request.user)
    except TicketError as exc:
        messages.error(request, exc.describe())
    else:
        messages.success(request, f"{ci.name} is no longer an affected CI of {ticket.number}.")
    return _back(ticket)
