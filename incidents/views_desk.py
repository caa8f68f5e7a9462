"""The agent desk: queue, create, detail with edit, actions, replies and work notes."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from accounts.access import agent_required
from accounts.models import AssignmentGroup, User
from core.exceptions import StaleVersion, TicketError
from core.forms import add_service_errors
from incidents import queries, services
from incidents.filters import IncidentFilter
from incidents.forms import ActionForm, CommentForm, IncidentEditForm, IncidentFieldsForm
from incidents.models import Incident
from incidents.views_common import attachments, timeline
from sla import queries as sla_queries
from tickets import services as ticket_services
from tickets.models import Priority
from tickets.workflow import AGENT

SORTS = {
    "priority": ("priority", "opened_at", "id"),
    "-priority": ("-priority", "-opened_at", "-id"),
    "opened": ("opened_at", "id"),
    "-opened": ("-opened_at", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "number": ("number",),
    "-number": ("-number",),
    "sla": None,  # queries.SlaDeadlineOrder
}
SORT_LABELS = {"priority": "Priority", "sla": "SLA deadline", "-opened": "Newest", "opened": "Oldest",
               "-updated": "Recently updated", "number": "Number"}
PAGE_SIZES = (25, 50, 100)
FILTER_KEYS = ("state", "priority", "assignment_group", "assignee", "mine", "unassigned", "is_major", "breaching_soon", "q")


def _queue_filter_data(params):
    """The queue shows open work unless the agent picks a state or "any"."""
    data = params.copy()
    for key in list(data.keys()):
        values = [value for value in data.getlist(key) if value.strip()]
        if values:
            data.setlist(key, values)
        else:
            del data[key]
    status = data.get("state", "")
    if status in ("", "open"):
        data.pop("state", None)
        data["open"] = "true"
    elif status == "any":
        data.pop("state", None)
    return data


def _int_choice(value, allowed, default):
    try:
        value = int(value)
    except (TypeError, ValueError):
        return default
    return value if value in allowed else default


@agent_required
def index(request):
    return redirect("desk:queue")


@agent_required
def queue(request):
    filter_data = _queue_filter_data(request.GET)
    incident_filter = IncidentFilter(filter_data, queryset=queries.agent_queue(request.user), request=request)
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "priority"
    page_size = _int_choice(request.GET.get("per_page"), PAGE_SIZES, PAGE_SIZES[0])
    rows = incident_filter.qs.defer("description", "description_html")
    # "SLA deadline": soonest running resolution deadline first (breached ones lead), the rest after.
    rows = queries.SlaDeadlineOrder(rows) if sort == "sla" else rows.order_by(*SORTS[sort])
    full_page = not (request.htmx and not request.htmx.history_restore_request)
    counters = queries.queue_counters(request.user) if full_page else None
    paginator = Paginator(rows, page_size)
    if counters is not None and set(filter_data) & set(IncidentFilter.base_filters) == {"open"}:
        # The default view is "all open work": its size is the counters' "open", already counted.
        paginator.count = counters["open"]
    page = paginator.get_page(request.GET.get("page"))
    _attach_sla_clocks(page)
    context = {
        "page": page,
        "filter_errors": incident_filter.errors,
        "sort": sort,
        "page_size": page_size,
        "params": request.GET,
        "has_filters": any(request.GET.get(key) for key in FILTER_KEYS),
        "nav": "mine" if request.GET.get("mine") == "true" else "queue",
    }
    if not full_page:
        response = render(request, "incidents/desk/_queue_rows.html", context)
    else:
        context.update({
            "counters": counters,
            "states": Incident.workflow.state_choices(),
            "priorities": Priority.choices,
            "groups": list(AssignmentGroup.objects.filter(is_active=True).only("id", "name")),
            "agents": list(User.objects.filter(is_active=True, role__in=[User.Role.AGENT, User.Role.ADMIN])
                           .only("id", "full_name", "email")),
            "sorts": SORT_LABELS,
            "page_sizes": PAGE_SIZES,
        })
        response = render(request, "incidents/desk/queue.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _attach_sla_clocks(page) -> None:
    """Each row's SLA clocks for its badges: one query for the whole page."""
    page.object_list = list(page.object_list)
    clocks = sla_queries.clocks_for(page.object_list)
    for incident in page.object_list:
        incident.sla_clocks = clocks.get(incident.pk, [])


def _sla_clocks(incident) -> list:
    return sla_queries.clocks_for([incident]).get(incident.pk, [])


@agent_required
def create(request):
    form = IncidentFieldsForm(request.POST or None, initial={"channel": "phone"})
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        try:
            incident = services.create_incident(by=request.user, **data)
        except TicketError as exc:
            add_service_errors(form, exc, IncidentFieldsForm.ALIASES)
        else:
            messages.success(request, f"{incident.number} was created.")
            return redirect("desk:detail", number=incident.number)
    return render(request, "incidents/desk/create.html", {"form": form, "nav": "create"},
                  status=400 if form.errors else 200)


def _incident(request, number) -> Incident:
    return get_object_or_404(queries.for_detail(request.user), number=number.upper())


def _action_forms(incident, bound: ActionForm | None = None):
    forms = []
    for transition in Incident.workflow.available(incident.state, role=AGENT):
        if bound is not None and bound.transition.name == transition.name:
            forms.append(bound)
        else:
            forms.append(ActionForm(transition=transition, initial={"version": incident.version}))
    return forms


def _render_detail(request, incident, *, edit_form=None, action_form=None, comment_form=None, status=200):
    watcher_ids = {w.pk for w in incident.watchers.all()}
    action_forms = _action_forms(incident, action_form)
    context = {
        "incident": incident,
        "edit_form": edit_form or IncidentEditForm.for_incident(incident),
        "action_forms": action_forms,
        # A refused action that is not (or no longer) offered still shows why it was refused.
        "refused_action_form": action_form if action_form is not None and action_form not in action_forms else None,
        "open_action": action_form.transition.name if action_form is not None else None,
        "comment_form": comment_form or CommentForm(),
        "timeline": timeline(incident, public_only=False),
        "attachments": attachments(incident, public_only=False),
        "children": incident.children.select_related("assignee").order_by("number"),
        "is_watching": request.user.pk in watcher_ids,
        "editing": edit_form is not None,
        "sla_clocks": _sla_clocks(incident),
        "sla_refresh_url": _sla_refresh_url(incident),
        "nav": "queue",
    }
    return render(request, "incidents/desk/detail.html", context, status=status)


@agent_required
def detail(request, number):
    if request.htmx and request.GET.get("fragment") == "sla":
        # The SLA panel's countdown refresh: the panel and, out of band, the header badges.
        incident = get_object_or_404(queries.visible_to(request.user).only("id", "number"), number=number.upper())
        response = render(request, "sla/_panel_refresh.html", {
            "clocks": _sla_clocks(incident), "refresh_url": _sla_refresh_url(incident)})
        patch_vary_headers(response, ("HX-Request",))
        return response
    return _render_detail(request, _incident(request, number))


def _sla_refresh_url(incident) -> str:
    return reverse("desk:detail", args=[incident.number]) + "?fragment=sla"


@agent_required
@require_POST
def edit(request, number):
    incident = _incident(request, number)
    form = IncidentEditForm(request.POST, incident=incident)
    if not form.is_valid():
        return _render_detail(request, incident, edit_form=form, status=400)
    try:
        services.update_incident(incident, by=request.user, changes=form.changes(),
                                 expected_version=form.cleaned_data["version"])
    except StaleVersion:
        form.add_error(None, f"{incident.number} was changed by someone else while you were editing. "
                             "Your changes are below and were not saved: reload the incident, then apply them again.")
        return _render_detail(request, incident, edit_form=form, status=409)
    except TicketError as exc:
        add_service_errors(form, exc, IncidentEditForm.ALIASES)
        return _render_detail(request, incident, edit_form=form, status=exc.status_code)
    messages.success(request, f"{incident.number} was updated.")
    return redirect("desk:detail", number=incident.number)


@agent_required
@require_POST
def action(request, number, name):
    incident = _incident(request, number)
    transition = Incident.workflow.by_name.get(name)
    if transition is None:
        raise Http404("No such action.")
    form = ActionForm(request.POST, transition=transition)
    if form.is_valid():
        try:
            incident = services.transition_incident(incident, name, by=request.user, fields=form.transition_fields(),
                                         expected_version=form.cleaned_data.get("version"),
                                         comment=form.cleaned_data.get("comment", ""))
        except TicketError as exc:
            add_service_errors(form, exc)
            incident.refresh_from_db()
            return _render_detail(request, incident, action_form=form, status=exc.status_code)
        messages.success(request, f"{incident.number} is now {incident.state_label}.")
        return redirect("desk:detail", number=incident.number)
    return _render_detail(request, incident, action_form=form, status=400)


@agent_required
@require_POST
def comment(request, number):
    incident = _incident(request, number)
    form = CommentForm(request.POST, request.FILES)
    is_public = request.POST.get("kind") != "work_note"
    if form.is_valid():
        try:
            services.add_reply(incident, by=request.user, body=form.cleaned_data["body"], is_public=is_public,
                               attachments=form.cleaned_data["attachments"])
        except TicketError as exc:
            add_service_errors(form, exc, {"file": "attachments"})
        else:
            messages.success(request, "Reply sent to the requester." if is_public else "Work note added.")
            return redirect(reverse("desk:detail", args=[incident.number]) + "#activity")
    return _render_detail(request, incident, comment_form=form, status=400)


@agent_required
@require_POST
def assign_to_me(request, number):
    incident = _incident(request, number)
    try:
        services.update_incident(incident, by=request.user, changes={"assignee": request.user},
                                 expected_version=request.POST.get("version") or None)
    except TicketError as exc:
        messages.error(request, " ".join([exc.message, *[m for ms in exc.fields.values() for m in ms]]))
    else:
        messages.success(request, f"{incident.number} is now assigned to you.")
    return redirect("desk:detail", number=incident.number)


@agent_required
@require_POST
def watch(request, number):
    incident = _incident(request, number)
    watchers = set(incident.watchers.all())
    if request.POST.get("watch") == "1":
        watchers.add(request.user)
    else:
        watchers.discard(request.user)
    ticket_services.set_watchers(incident, by=request.user, watchers=watchers)
    return redirect("desk:detail", number=incident.number)
