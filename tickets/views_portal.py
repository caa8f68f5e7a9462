"""The self-service portal for every registered ticket type: raise one, follow one's own, reply, confirm or reopen.

Tickets are addressed by number alone (``/portal/tickets/INC0001001/``): the prefix names the type.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import portal_user_required
from tickets import portal, queries, types
from tickets import services as ticket_services
from core.exceptions import TicketError
from core.forms import add_service_errors
from tickets.forms import CommentForm
from tickets.models import Channel, Impact
from tickets.workflow import REQUESTER


@portal_user_required
def home(request):
    followed = types.portal_types()
    context = {
        "recent": queries.portal_tickets(request.user, followed, show="all", order=("-updated_at", "-id"))[:5],
        "open_count": queries.portal_tickets(request.user, followed, show="open").count() if followed else 0,
        "awaiting": queries.portal_tickets(request.user, followed, show="awaiting", order=("-resolved_at", "-id"))[:3],
        "raisable": types.raisable_types(),
        "nav": "home",
    }
    context["sections"] = portal.sections_for(request)
    context["searchable"] = bool(portal.search_sources())
    return render(request, "tickets/portal/home.html", context)


@portal_user_required
def search(request):
    """The portal's one search box: every contributed source (catalogue, knowledge, the viewer's tickets)."""
    q = " ".join(request.GET.get("q", "").split())[:200]
    return render(request, "tickets/portal/search.html",
                  {"q": q, "groups": portal.search(request, q), "nav": "search"})


def _own_tickets(request, q: str, limit: int) -> list[portal.SearchResult]:
    followed = types.portal_types()
    if not followed:
        return []
    rows = queries.portal_tickets(request.user, followed, show="all", order=("-updated_at", "-id"), q=q)[:limit]
    return [portal.SearchResult(title=f"{row.number} {row.title}", url=reverse("portal:detail", args=[row.number]),
                                meta=row.state_label) for row in rows]


portal.register_search(portal.SearchSource("tickets", "Your tickets", _own_tickets, order=900))


@portal_user_required
def ticket_list(request):
    show = request.GET.get("show") if request.GET.get("show") in ("open", "closed", "all") else "open"
    rows = queries.portal_tickets(request.user, types.portal_types(), show=show)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    return render(request, "tickets/portal/list.html",
                  {"page": page, "show": show, "raisable": types.raisable_types(), "nav": "list"})


def _raisable_or_404(type_slug):
    ticket_type = types.by_slug(type_slug) if type_slug else next(iter(types.raisable_types()), None)
    if ticket_type is None or ticket_type.portal_form is None:
        raise Http404("This cannot be raised in the portal.")
    return ticket_type


@portal_user_required
def create(request, type_slug=None):
    ticket_type = _raisable_or_404(type_slug)
    form = ticket_type.portal_form(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        uploads = data.pop("attachments", [])
        try:
            # One transaction: a ticket is never left behind without the files its reporter attached.
            with transaction.atomic():
                ticket = ticket_type.create(by=request.user, requester=request.user, impact=Impact.LOW,
                                            channel=Channel.PORTAL, **data)
                for upload in uploads:
                    ticket_services.add_attachment(ticket, by=request.user, upload=upload, is_public=True)
        except TicketError as exc:
            add_service_errors(form, exc, {"file": "attachments"})
        else:
            messages.success(request, f"Thanks, we have your request: {ticket.number}. We will keep you posted here.")
            return redirect("portal:detail", number=ticket.number)
    return render(request, "tickets/portal/create.html", {"ticket_type": ticket_type, "form": form, "nav": "create"},
                  status=400 if form.errors else 200)


def _ticket(request, number):
    """One of the caller's own (or watched) tickets; 404 alike for missing, hidden and unknown types."""
    ticket_type = types.for_number(number)
    if ticket_type is None or not ticket_type.in_portal:
        raise Http404("No such ticket.")
    rows = ticket_type.model.objects.raised_or_watched_by(request.user).select_related("assignee", "category")
    return ticket_type, get_object_or_404(rows, number=number.upper())


def _render_detail(request, ticket_type, ticket, *, reply_form=None, status=200):
    # The type's portal_actions in its order (an incident's "Confirm resolution" first), then any others.
    order = list(ticket_type.portal_actions)
    available = sorted(ticket.workflow.available(ticket.state, role=REQUESTER),
                       key=lambda t: order.index(t.name) if t.name in order else len(order))
    requester_actions = [
        {"transition": t, **ticket_type.portal_actions.get(t.name, {"slug": t.name, "label": t.label})}
        for t in available]
    context = {
        "ticket_type": ticket_type,
        "ticket": ticket,
        ticket_type.model._meta.model_name: ticket,
        "timeline": queries.timeline_newest_first(ticket, public_only=True),
        "attachments": list(queries.attachments(ticket, public_only=True)),
        "reply_form": reply_form or CommentForm(),
        "requester_actions": requester_actions,
        "is_final": ticket.state in ticket.workflow.final,
        "nav": "list",
    }
    return render(request, "tickets/portal/detail.html", context, status=status)


@portal_user_required
def detail(request, number):
    return _render_detail(request, *_ticket(request, number))


@portal_user_required
@require_POST
def reply(request, number):
    ticket_type, ticket = _ticket(request, number)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            ticket_type.comment(ticket, by=request.user, body=form.cleaned_data["body"], is_public=True,
                                channel=Channel.PORTAL, attachments=form.cleaned_data["attachments"])
        except TicketError as exc:
            add_service_errors(form, exc, {"file": "attachments"})
        else:
            messages.success(request, "Your reply was sent to the service desk.")
            return redirect(reverse("portal:detail", args=[ticket.number]) + "#conversation")
    return _render_detail(request, ticket_type, ticket, reply_form=form, status=400)


@portal_user_required
@require_POST
def requester_action(request, number, action_slug):
    """A requester's workflow action (an incident's "confirm resolution" and "still broken")."""
    ticket_type, ticket = _ticket(request, number)
    by_slug = {options.get("slug", name): name for name, options in ticket_type.portal_actions.items()}
    name = by_slug.get(action_slug, action_slug)
    transition = ticket.workflow.by_name.get(name)
    if transition is None or REQUESTER not in transition.roles:
        raise Http404("No such action.")
    try:
        ticket_type.transition(ticket, name, by=request.user)
    except TicketError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ticket_type.portal_actions.get(name, {}).get(
            "done", f"{ticket.number} is now {ticket.workflow.states[transition.target]}."))
    return redirect("portal:detail", number=ticket.number)
