"""The agent desk for every registered ticket type: queue, create, detail with edit, actions, replies, watch.

URLs carry the type's slug (``/desk/<slug>/...``); the type's declaration (tickets.types) says
which model, filterset, forms, services, columns and template blocks to use.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from accounts.access import agent_required
from accounts.models import AssignmentGroup, User
from tickets import extensions, guards, queries, queue_rows, types
from tickets import my_work as work
from tickets import services as ticket_services
from core.exceptions import StaleVersion, TicketError
from core.forms import add_service_errors
from tickets.forms import ActionForm, CommentForm
from tickets.links import queries as link_queries
from tickets.links import services as link_services
from tickets.links import views as link_views
from tickets.links.kinds import SIDES
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
}
SORT_LABELS = {"priority": "Priority", "-opened": "Newest", "opened": "Oldest", "-updated": "Recently updated",
               "number": "Number"}
PAGE_SIZES = (25, 50, 100)
# Query parameters that are not filters.
NON_FILTER_KEYS = ("sort", "per_page", "page")


def ticket_type_or_404(slug: str) -> types.TicketType:
    ticket_type = types.by_slug(slug)
    if ticket_type is None:
        raise Http404("No such ticket type.")
    return ticket_type


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


def _options(choices, selected) -> list[tuple[str, str, bool]]:
    """(value, label, selected) for a ``<select>``; ``selected`` is the query's value (a string or None)."""
    return [(str(value), label, str(value) == selected) for value, label in choices]


def _sorts(ticket_type) -> tuple[dict, dict]:
    """The type's sorts: the standard ones plus what its extensions add (SLA: deadline order)."""
    added = {key: value for extension in extensions.for_type(ticket_type)
             for key, value in extension.sorts(ticket_type).items()}
    orders = {**SORTS, **{key: order for key, (_, order) in added.items()}}
    # The menu: priority, then the extensions' (SLA deadline), then the rest.
    labels = {"priority": SORT_LABELS["priority"], **{key: label for key, (label, _) in added.items()},
              **SORT_LABELS}
    return orders, labels


@agent_required
def index(request):
    return redirect("desk:queue", type_slug=types.all_types()[0].slug)


def _search_number(request, q: str):
    """An exact ticket number opens the ticket instead of a one-row list."""
    ticket_type = types.for_number(q.strip())
    if ticket_type is None:
        return None
    number = q.strip().upper()
    if ticket_type.model.objects.filter(number=number).exists():
        return redirect("desk:detail", type_slug=ticket_type.slug, number=number)
    return None


@agent_required
def queue(request, type_slug):
    ticket_type = ticket_type_or_404(type_slug)
    model = ticket_type.model
    filter_data = _queue_filter_data(request.GET)
    base = queries.for_list(ticket_type, request.user).order_by("priority", "opened_at", "id")
    ticket_filter = ticket_type.filterset(filter_data, queryset=base, request=request)
    orders, sort_labels = _sorts(ticket_type)
    sort = request.GET.get("sort") if request.GET.get("sort") in orders else "priority"
    page_size = _int_choice(request.GET.get("per_page"), PAGE_SIZES, PAGE_SIZES[0])
    rows = queries.queue_columns(ticket_filter.qs)
    order = orders[sort]
    rows = order(rows) if callable(order) else rows.order_by(*order)
    full_page = not (request.htmx and not request.htmx.history_restore_request)
    counter_values = queries.open_counters(ticket_type, request.user) if full_page else None
    paginator = Paginator(rows, page_size)
    if counter_values is not None and set(filter_data) & set(ticket_filter.base_filters) == {"open"}:
        # The default view is "all open work": its size is the "open" counter, already counted.
        paginator.count = counter_values[0]["value"]
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    extension_list = extensions.for_type(ticket_type)
    for extension in extension_list:
        extension.annotate_rows(page.object_list)
    context = {
        "ticket_type": ticket_type,
        "page": page,
        "rows": queue_rows.build(ticket_type, page.object_list, extension_list),
        "show": {column: column in ticket_type.columns for column in types.STANDARD_COLUMNS},
        "filter_errors": ticket_filter.errors,
        "sort": sort,
        "page_size": page_size,
        "params": request.GET,
        "has_filters": any(request.GET.get(key) for key in request.GET if key not in NON_FILTER_KEYS),
        "extension_columns": [(e.name, e.column_label) for e in extension_list if e.column_label],
        # number, title, state + the standard columns shown + extensions' + the type's own
        "column_count": 3 + len(ticket_type.columns) + len([e for e in extension_list if e.column_label])
                        + len(ticket_type.extra_columns),
        "nav": "mine" if request.GET.get("mine") == "true" else f"queue-{ticket_type.slug}",
    }
    if not full_page:
        response = render(request, "tickets/desk/_queue_rows.html", context)
    else:
        params = request.GET
        agents = User.objects.filter(is_active=True, role__in=[User.Role.AGENT, User.Role.ADMIN])
        context.update({
            "counters": {item["counter"].key: item["value"] for item in counter_values},
            "counter_items": counter_values,
            # The filter bar's choices as (value, label, selected), decided here once rather than per option.
            "state_options": _options([("open", "All open"), ("any", "Any state"), *model.workflow.state_choices()],
                                      params.get("state") or "open"),
            "priority_options": _options(Priority.choices, params.get("priority")),
            "group_options": _options(AssignmentGroup.objects.filter(is_active=True).values_list("id", "name"),
                                      params.get("assignment_group")),
            "agent_options": _options([(pk, full_name or email) for pk, full_name, email
                                       in agents.values_list("id", "full_name", "email")], params.get("assignee")),
            "toggles": [(toggle, params.get(toggle.name) == "true") for toggle in ticket_type.toggles
                        if toggle.name in ticket_filter.base_filters],
            "sort_options": _options(sort_labels.items(), sort),
            "page_size_options": _options(((size, size) for size in PAGE_SIZES), str(page_size)),
        })
        response = render(request, "tickets/desk/queue.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@agent_required
def my_work(request):
    """Every open ticket of every type that is mine to do: assigned to me, or unassigned in my groups."""
    group_ids = work.group_ids_of(request.user)
    rows = work.my_work(request.user, group_ids)
    page = Paginator(rows, _int_choice(request.GET.get("per_page"), PAGE_SIZES, PAGE_SIZES[0])).get_page(
        request.GET.get("page"))
    return render(request, "tickets/desk/my_work.html", {
        "page": page, "counts": work.counts(request.user, group_ids), "nav": "mine"})


@agent_required
def search(request):
    """The top bar's search box: a ticket number opens it; words search the first type's queue."""
    q = request.GET.get("q", "")
    found = _search_number(request, q)
    if found is not None:
        return found
    return redirect(reverse("desk:queue", kwargs={"type_slug": types.all_types()[0].slug}) + "?" + request.GET.urlencode())


@agent_required
def lookup(request, type_slug):
    """Search as you type for a ticket number field: ``<option>``s of matching tickets (htmx, datalist)."""
    ticket_type = ticket_type_or_404(type_slug)
    q = (request.GET.get("q") or request.GET.get("number") or "").strip()
    rows = []
    if q:
        matches = ticket_type.filterset({"q": q}, queryset=ticket_type.model.objects.visible_to(request.user),
                                        request=request)
        rows = list(matches.qs.order_by("-opened_at", "-id").only("number", "title", "state")[:10])
    return render(request, "tickets/desk/_lookup_options.html", {"rows": rows})


# What "create from" copies from the ticket it starts from.
CREATE_FROM_FIELDS = ("title", "description", "category", "impact", "urgency", "assignment_group")


def _create_source(request, ticket_type):
    """The ticket named by ``?from=`` that this type may be created from (its ``create_from`` link side)."""
    if not ticket_type.create_from:
        return None
    number = (request.GET.get("from") or "").strip().upper()
    source_type = types.for_number(number)
    kind, new_is_source = SIDES[ticket_type.create_from]
    if source_type is None or not kind.admits(source_type.model, as_source=not new_is_source):
        return None
    return source_type.model.objects.visible_to(request.user).filter(number=number).first()


@agent_required
def create(request, type_slug):
    ticket_type = ticket_type_or_404(type_slug)
    source = _create_source(request, ticket_type)
    initial = {"channel": "phone"}
    if source is not None:
        initial.update({name: getattr(source, source._meta.get_field(name).attname) for name in CREATE_FROM_FIELDS},
                       requester=request.user.pk)
    form = ticket_type.fields_form(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # the ticket and its link to the ticket it came from, or nothing
                ticket = ticket_type.create(by=request.user, **form.service_fields())
                if source is not None:
                    link_services.link_by_number(ticket, ticket_type.create_from, source.number, by=request.user)
        except TicketError as exc:
            add_service_errors(form, exc, ticket_type.fields_form.ALIASES)
        else:
            messages.success(request, f"{ticket.number} was created.")
            return redirect("desk:detail", type_slug=ticket_type.slug, number=ticket.number)
    return render(request, "tickets/desk/create.html",
                  {"ticket_type": ticket_type, "form": form, "nav": f"queue-{ticket_type.slug}",
                   "from_number": request.GET.get("from") or request.POST.get("from", "")},
                  status=400 if form.errors else 200)


def _ticket(request, ticket_type, number):
    return get_object_or_404(queries.for_detail(ticket_type, request.user), number=number.upper())


def _action_forms(ticket_type, ticket, bound: ActionForm | None = None):
    forms = []
    for transition in ticket.workflow.available(ticket.state, role=AGENT):
        if bound is not None and bound.transition.name == transition.name:
            form = bound
        else:
            form = ActionForm(transition=transition, model=ticket_type.model,
                                    extra_fields=ticket_type.action_fields.get(transition.name, {}),
                                    # What the ticket already records (a problem's root cause) is kept, not blanked.
                                    initial={"version": ticket.version,
                                             **{name: getattr(ticket, name) for name in transition.fields}})
        # A guard that refuses now (still awaiting approval) shows the step disabled, with its reason.
        form.blocked = guards.refusal(transition, ticket)
        forms.append(form)
    return forms


def _render_detail(request, ticket_type, ticket, *, edit_form=None, action_form=None, comment_form=None, status=200):
    watcher_ids = {w.pk for w in ticket.watchers.all()}
    action_forms = _action_forms(ticket_type, ticket, action_form)
    extension_list = extensions.for_type(ticket_type)
    for extension in extension_list:
        extension.annotate([ticket])
    link_queries.read_links_for_page(ticket)  # the links card and the extensions' cards read them once
    context = {
        "ticket_type": ticket_type,
        "ticket": ticket,
        # The type's own template blocks get the ticket under its own name too ("incident", "problem").
        ticket_type.model._meta.model_name: ticket,
        "edit_form": edit_form or ticket_type.fields_form.for_ticket(ticket),
        "action_forms": action_forms,
        # A refused action that is not (or no longer) offered still shows why it was refused.
        "refused_action_form": action_form if action_form is not None and action_form not in action_forms else None,
        "open_action": action_form.transition.name if action_form is not None else None,
        "comment_form": comment_form or CommentForm(),
        "timeline": queries.timeline_newest_first(ticket, public_only=False),
        "attachments": list(queries.attachments(ticket, public_only=False)),
        "is_watching": request.user.pk in watcher_ids,
        "editing": edit_form is not None,
        "extension_heads": [extension.head(ticket) for extension in extension_list],
        "extension_sides": [(extension.side_template, extension.side_context(ticket))
                            for extension in extension_list if extension.side_template],
        "nav": f"queue-{ticket_type.slug}",
        **link_views.panel(request, ticket),
    }
    return render(request, "tickets/desk/detail.html", context, status=status)


@agent_required
def detail(request, type_slug, number):
    ticket_type = ticket_type_or_404(type_slug)
    fragment = request.GET.get("fragment")
    if request.htmx and fragment:
        # An extension's card refreshing itself (SLA countdowns): only what it needs, out of band.
        for extension in extensions.for_type(ticket_type):
            if extension.name == fragment:
                ticket = get_object_or_404(ticket_type.model.objects.visible_to(request.user).only("id", "number"),
                                           number=number.upper())
                response = extension.detail_fragment(request, ticket)
                patch_vary_headers(response, ("HX-Request",))
                return response
    return _render_detail(request, ticket_type, _ticket(request, ticket_type, number))


@agent_required
@require_POST
def edit(request, type_slug, number):
    ticket_type = ticket_type_or_404(type_slug)
    ticket = _ticket(request, ticket_type, number)
    form = ticket_type.fields_form.bound_for(ticket, request.POST)
    if not form.is_valid():
        return _render_detail(request, ticket_type, ticket, edit_form=form, status=400)
    try:
        ticket_type.update(ticket, by=request.user, changes=form.changes(),
                           expected_version=form.cleaned_data["version"])
    except StaleVersion:
        form.add_error(None, f"{ticket.number} was changed by someone else while you were editing. "
                             f"Your changes are below and were not saved: reload the {ticket_type.label_lower}, "
                             "then apply them again.")
        return _render_detail(request, ticket_type, ticket, edit_form=form, status=409)
    except TicketError as exc:
        add_service_errors(form, exc, ticket_type.fields_form.ALIASES)
        return _render_detail(request, ticket_type, ticket, edit_form=form, status=exc.status_code)
    messages.success(request, f"{ticket.number} was updated.")
    return redirect("desk:detail", type_slug=ticket_type.slug, number=ticket.number)


@agent_required
@require_POST
def action(request, type_slug, number, name):
    ticket_type = ticket_type_or_404(type_slug)
    ticket = _ticket(request, ticket_type, number)
    transition = ticket.workflow.by_name.get(name)
    if transition is None:
        raise Http404("No such action.")
    form = ActionForm(request.POST, transition=transition, model=ticket_type.model,
                      extra_fields=ticket_type.action_fields.get(name, {}))
    if form.is_valid():
        try:
            ticket = ticket_type.transition(ticket, name, by=request.user, fields=form.transition_fields(),
                                            expected_version=form.cleaned_data.get("version"),
                                            comment=form.cleaned_data.get("comment", ""), **form.extra_values())
        except TicketError as exc:
            add_service_errors(form, exc)
            ticket.refresh_from_db()
            return _render_detail(request, ticket_type, ticket, action_form=form, status=exc.status_code)
        messages.success(request, f"{ticket.number} is now {ticket.state_label}.")
        return redirect("desk:detail", type_slug=ticket_type.slug, number=ticket.number)
    return _render_detail(request, ticket_type, ticket, action_form=form, status=400)


@agent_required
@require_POST
def comment(request, type_slug, number):
    ticket_type = ticket_type_or_404(type_slug)
    ticket = _ticket(request, ticket_type, number)
    form = CommentForm(request.POST, request.FILES)
    is_public = request.POST.get("kind") != "work_note"
    if form.is_valid():
        try:
            ticket_type.comment(ticket, by=request.user, body=form.cleaned_data["body"], is_public=is_public,
                                attachments=form.cleaned_data["attachments"])
        except TicketError as exc:
            add_service_errors(form, exc, {"file": "attachments"})
        else:
            messages.success(request, "Reply sent to the requester." if is_public else "Work note added.")
            return redirect(reverse("desk:detail", args=[ticket_type.slug, ticket.number]) + "#activity")
    return _render_detail(request, ticket_type, ticket, comment_form=form, status=400)


@agent_required
@require_POST
def assign_to_me(request, type_slug, number):
    ticket_type = ticket_type_or_404(type_slug)
    ticket = _ticket(request, ticket_type, number)
    try:
        ticket_type.update(ticket, by=request.user, changes={"assignee": request.user},
                           expected_version=request.POST.get("version") or None)
    except TicketError as exc:
        messages.error(request, exc.describe())
    else:
        messages.success(request, f"{ticket.number} is now assigned to you.")
    return redirect("desk:detail", type_slug=ticket_type.slug, number=ticket.number)


@agent_required
@require_POST
def watch(request, type_slug, number):
    ticket_type = ticket_type_or_404(type_slug)
    ticket = _ticket(request, ticket_type, number)
    watchers = set(ticket.watchers.all())
    if request.POST.get("watch") == "1":
        watchers.add(request.user)
    else:
        watchers.discard(request.user)
    ticket_services.set_watchers(ticket, by=request.user, watchers=watchers)
    return redirect("desk:detail", type_slug=ticket_type.slug, number=ticket.number)
