"""The problem pages that are its own: the known-error list, publishing one, applying a workaround."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import agent_required
from problems import queries, services
from problems.filters import KnownErrorFilter
from problems.models import Problem
from tickets import types
from core.exceptions import TicketError
from tickets.models import Category


@agent_required
def known_errors(request):
    """Every published known error, searchable by words of the symptom, root cause or workaround."""
    found = KnownErrorFilter(request.GET, queryset=queries.known_errors())
    page = Paginator(found.qs, 25).get_page(request.GET.get("page"))
    return render(request, "problems/known_errors.html", {
        "page": page, "params": request.GET, "filter_errors": found.errors,
        "categories": Category.objects.filter(is_active=True).select_related("parent"), "nav": "known_errors"})


@agent_required
@require_POST
def known_error(request, number):
    """Publish (``publish=1``) or retire (``publish=0``) the problem's known error."""
    problem = get_object_or_404(Problem, number=number.upper())
    publish = request.POST.get("publish") == "1"
    try:
        if publish:
            services.publish_known_error(problem, by=request.user, expected_version=request.POST.get("version") or None)
        else:
            services.retire_known_error(problem, by=request.user, expected_version=request.POST.get("version") or None)
    except TicketError as exc:
        messages.error(request, " ".join([exc.message, *[m for ms in exc.fields.values() for m in ms]]))
    else:
        messages.success(request, f"{problem.number} is {'now a published' if publish else 'no longer a'} known error.")
    return redirect("desk:detail", type_slug="problems", number=problem.number)


@agent_required
@require_POST
def apply_workaround(request, number):
    """Add known error ``number``'s workaround to the ticket named in ``ticket`` as a reply or work note."""
    problem = get_object_or_404(Problem, number=number.upper())
    ticket_number = request.POST.get("ticket", "").strip().upper()
    ticket_type = types.for_number(ticket_number)
    ticket = ticket_type and ticket_type.model.objects.filter(number=ticket_number).first()
    if ticket is None:
        messages.error(request, f"There is no ticket {ticket_number or '(none given)'}.")
        return redirect("desk:known_errors")
    as_work_note = request.POST.get("kind") == "work_note"
    try:
        services.apply_workaround(problem, ticket, by=request.user, as_work_note=as_work_note)
    except TicketError as exc:
        messages.error(request, " ".join([exc.message, *[m for ms in exc.fields.values() for m in ms]]))
    else:
        messages.success(request, f"The workaround of {problem.number} was added to {ticket.number} as a "
                                  f"{'work note' if as_work_note else 'reply to the requester'}.")
    return redirect("desk:detail", type_slug=ticket_type.slug, number=ticket.number)
