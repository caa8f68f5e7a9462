"""The CMDB on the agent desk: /desk/cmdb/ (namespace ``cmdb``). Views parse and call; cmdb.services writes."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import agent_required
from accounts.models import AssignmentGroup
from cmdb import ci_page, class_tree, graph, queries, services
from cmdb.filters import SORT_LABELS, SORTS, CIFilterSet, ordered
from cmdb.forms import CIForm, RelationshipForm, initial_for, option_label
from cmdb.models import CI, CIClass, Relationship, RelationshipType
from core.exceptions import TicketError
from core.forms import add_service_errors

PAGE_SIZE = 50


@agent_required
def ci_list(request):
    queryset = CI.objects.select_related("ci_class", "support_group").only(
        "name", "status", "environment", "criticality", "fqdn", "last_seen_at", "updated_at",
        "ci_class__name", "support_group__name")
    filters = CIFilterSet(request.GET or None, queryset=queryset, request=request)
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "name"
    rows = ordered(filters.qs if filters.is_bound else queryset, sort)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": filters, "page": page, "sort": sort, "nav": "cmdb",
        "filter_errors": filters.errors if filters.is_bound else {},
        "has_filters": any(v for k, v in request.GET.items() if k not in ("sort", "page")),
        "sort_options": [(value, label, value == sort) for value, label in SORT_LABELS.items()],
        "classes": _class_options(), "groups": AssignmentGroup.objects.filter(is_active=True).order_by("name"),
        "statuses": CI.Status.choices, "environments": CI.Environment.choices, "criticalities": CI.Criticality.choices,
        "imports_url": reverse("cmdb:import_list"), "stale_url": reverse("cmdb:stale"),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "cmdb/desk/_list_rows.html", context)
    return render(request, "cmdb/desk/list.html", context)


def _class_options() -> list[tuple[CIClass, str]]:
    """Every class in tree order with an indented label, for the class filter (one query)."""
    return [(c, class_tree.indented(c, depth)) for c, depth in class_tree.in_tree_order(CIClass.objects.all())]


def _page_context(request, ci, *, relationship_form=None, depth=None):
    lineage = queries.lineage(ci.ci_class)
    relationship_types = list(RelationshipType.objects.order_by("name"))
    service_class_ids = queries.business_service_class_ids()
    upstream, downstream, truncated = ci_page.relationships(ci)
    seen, stale_after = ci_page.sightings(ci)
    return {
        "ci": ci, "nav": "cmdb", "lineage": lineage,
        "is_service": ci.ci_class_id in service_class_ids,
        "attribute_groups": ci_page.attribute_groups(ci, lineage),
        "upstream": upstream, "downstream": downstream, "relationships_truncated": truncated,
        "relationship_limit": ci_page.RELATIONSHIP_LIMIT,
        "sightings": seen, "stale_after_days": stale_after,
        "graph": graph.build(ci, depth=graph.clamp_depth(depth), service_class_ids=service_class_ids),
        "depths": graph.DEPTHS,
        "impact": ci_page.impact_of(ci, relationship_types, service_class_ids),
        "history": ci_page.history(ci),
        "tickets": ci_page.tickets_naming(ci),
        "relationship_form": relationship_form or RelationshipForm(ci=ci, relationship_types=relationship_types),
    }


@agent_required
def ci_detail(request, pk):
    ci = get_object_or_404(ci_page.ci_for_page(), pk=pk)
    return render(request, "cmdb/desk/detail.html", _page_context(request, ci, depth=request.GET.get("depth")))


@agent_required
def ci_graph(request, pk):
    """The graph alone, at another depth (the depth select swaps it in with htmx)."""
    ci = get_object_or_404(CI.objects.select_related("ci_class"), pk=pk)
    if not request.htmx:
        return redirect(f"{reverse('cmdb:detail', args=[pk])}?depth={graph.clamp_depth(request.GET.get('depth'))}#graph")
    return render(request, "cmdb/desk/_graph.html", {
        "ci": ci, "graph": graph.build(ci, depth=request.GET.get("depth")), "depths": graph.DEPTHS})


def _posted_class(data, fallback=None):
    value = (data or {}).get("ci_class")
    if value and str(value).isdigit():
        return CIClass.objects.filter(pk=int(value)).first() or fallback
    return fallback


def _edit(request, ci=None):
    data = request.POST if request.method == "POST" else None
    ci_class = _posted_class(data, ci.ci_class if ci else _posted_class(request.GET))
    definitions = queries.definitions_for(ci_class) if ci_class else []
    initial = initial_for(ci) if ci else {"ci_class": ci_class}
    form = CIForm(data, initial=initial, definitions=definitions)
    if data is not None and form.is_valid():
        fields = form.service_fields()
        try:
            if ci is None:
                saved = services.create_ci(by=request.user, source="desk", attributes=form.attribute_values(),
                                           text_input=True, **fields)
                messages.success(request, f"{saved.name} added to the CMDB.")
            else:
                saved, changes = services.update_ci(ci, by=request.user, source="desk",
                                                    version=form.cleaned_data["version"],
                                                    attributes=form.attribute_values(), text_input=True, **fields)
                messages.success(request, f"{saved.name} saved." if changes else "Nothing changed.")
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("cmdb:detail", saved.pk)
    return render(request, "cmdb/desk/edit.html", {"form": form, "ci": ci, "nav": "cmdb"},
                  status=400 if form.errors else 200)


@agent_required
def ci_create(request):
    return _edit(request)


@agent_required
def ci_edit(request, pk):
    return _edit(request, get_object_or_404(CI.objects.select_related("ci_class"), pk=pk))


@agent_required
def attribute_fields(request):
    """The attribute inputs of the class chosen in the CI form (htmx swaps them in when the class changes)."""
    ci_class = _posted_class(request.GET)
    definitions = queries.definitions_for(ci_class) if ci_class else []
    # Unbound, with what was typed as initial values: values of attributes both classes carry survive the swap.
    form = CIForm(initial=request.GET.dict(), definitions=definitions)
    return render(request, "cmdb/desk/_attribute_fields.html", {"form": form, "ci_class": ci_class})


@agent_required
def ci_lookup(request):
    """Search as you type for the relationship form: ``<option>``s of matching CIs."""
    q = (request.GET.get("q") or request.GET.get("other") or "").strip()
    rows = []
    if len(q) >= 1:
        rows = list(CI.objects.filter(Q(name__icontains=q) | Q(fqdn__icontains=q.lower()) | Q(serial_number__iexact=q))
                    .select_related("ci_class").only("name", "ci_class__name").order_by("name", "id")[:15])
    return render(request, "cmdb/desk/_lookup_options.html", {"options": [option_label(ci) for ci in rows]})


@agent_required
@require_POST
def relationship_add(request, pk):
    ci = get_object_or_404(ci_page.ci_for_page(), pk=pk)
    relationship_types = list(RelationshipType.objects.order_by("name"))
    form = RelationshipForm(request.POST, ci=ci, relationship_types=relationship_types)
    if form.is_valid():
        source, target = form.ends()
        try:
            services.add_relationship(by=request.user, type=form.cleaned_data["type"], source=source, target=target)
        except TicketError as exc:
            this_end = "source" if source.pk == ci.pk else "target"
            add_service_errors(form, exc, aliases={this_end: "type", ("target" if this_end == "source" else "source"): "other"})
        else:
            messages.success(request, "Relationship added.")
            return redirect(reverse("cmdb:detail", args=[ci.pk]) + "#relationships")
    return render(request, "cmdb/desk/detail.html", _page_context(request, ci, relationship_form=form), status=400)


@agent_required
@require_POST
def relationship_remove(request, pk, relationship_pk):
    relationship = get_object_or_404(Relationship.objects.select_related("type", "source", "target").filter(
        Q(source_id=pk) | Q(target_id=pk)), pk=relationship_pk)
    try:
        services.remove_relationship(relationship, by=request.user)
    except TicketError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Relationship removed.")
    return redirect(reverse("cmdb:detail", args=[pk]) + "#relationships")
