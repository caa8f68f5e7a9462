"""The self-service portal: report an issue, follow one's own tickets, reply, confirm or reopen."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import portal_user_required
from core.exceptions import TicketError
from core.forms import add_service_errors
from incidents import queries, services
from incidents.forms import CommentForm, PortalIncidentForm
from incidents.views_common import attachments, timeline
from incidents.workflow import OPEN, RESOLVED
from tickets import services as ticket_services
from tickets.models import Channel, Impact


def my_tickets(user):
    """What the portal lists: the requester's own (and watched) tickets; an agent here sees only their own."""
    qs = queries.for_list(user)
    if user.is_agent:
        qs = qs.filter(Q(requester=user) | Q(watchers=user)).distinct()
    return qs


@portal_user_required
def home(request):
    tickets = my_tickets(request.user)
    context = {
        "recent": tickets.order_by("-updated_at", "-id")[:5],
        "open_count": tickets.filter(state__in=OPEN).count(),
        "resolved": tickets.filter(state=RESOLVED).order_by("-resolved_at")[:3],
        "nav": "home",
    }
    return render(request, "incidents/portal/home.html", context)


@portal_user_required
def ticket_list(request):
    show = request.GET.get("show") if request.GET.get("show") in ("open", "closed", "all") else "open"
    tickets = my_tickets(request.user).order_by("-opened_at", "-id")
    if show == "open":
        tickets = tickets.filter(state__in=sorted((*OPEN, RESOLVED)))
    elif show == "closed":
        tickets = tickets.exclude(state__in=sorted((*OPEN, RESOLVED)))
    page = Paginator(tickets, 25).get_page(request.GET.get("page"))
    return render(request, "incidents/portal/list.html", {"page": page, "show": show, "nav": "list"})


@portal_user_required
def create(request):
    form = PortalIncidentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # One transaction: a ticket is never left behind without the files its reporter attached.
            with transaction.atomic():
                incident = services.create_incident(
                    by=request.user, requester=request.user, title=data["title"], description=data["description"],
                    urgency=data["urgency"], impact=Impact.LOW, category=data["category"], channel=Channel.PORTAL)
                for upload in data["attachments"]:
                    ticket_services.add_attachment(incident, by=request.user, upload=upload, is_public=True)
        except TicketError as exc:
            add_service_errors(form, exc, {"file": "attachments"})
        else:
            messages.success(request, f"Thanks, we have your request: {incident.number}. We will keep you posted here.")
            return redirect("portal:detail", number=incident.number)
    return render(request, "incidents/portal/create.html", {"form": form, "nav": "create"}, status=400 if form.errors else 200)


def _ticket(request, number):
    return get_object_or_404(my_tickets(request.user).select_related("parent"), number=number.upper())


def _render_detail(request, incident, *, reply_form=None, status=200):
    context = {
        "incident": incident,
        "timeline": timeline(incident, public_only=True),
        "attachments": attachments(incident, public_only=True),
        "reply_form": reply_form or CommentForm(),
        "can_confirm": incident.state == RESOLVED,
        "is_final": incident.state in incident.workflow.final,
        "nav": "list",
    }
    return render(request, "incidents/portal/detail.html", context, status=status)


@portal_user_required
def detail(request, number):
    return _render_detail(request, _ticket(request, number))


@portal_user_required
@require_POST
def reply(request, number):
    incident = _ticket(request, number)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_reply(incident, by=request.user, body=form.cleaned_data["body"], is_public=True,
                               channel=Channel.PORTAL, attachments=form.cleaned_data["attachments"])
        except TicketError as exc:
            add_service_errors(form, exc, {"file": "attachments"})
        else:
            messages.success(request, "Your reply was sent to the service desk.")
            return redirect(reverse("portal:detail", args=[incident.number]) + "#conversation")
    return _render_detail(request, incident, reply_form=form, status=400)


def _transition(request, number, action, done_message):
    incident = _ticket(request, number)
    try:
        services.transition_incident(incident, action, by=request.user)
    except TicketError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done_message)
    return redirect("portal:detail", number=incident.number)


@portal_user_required
@require_POST
def confirm(request, number):
    return _transition(request, number, "close", "Thanks for confirming. The ticket is now closed.")


@portal_user_required
@require_POST
def reopen(request, number):
    return _transition(request, number, "reopen", "Sorry it is still broken. The ticket is open again and the team has been told.")
