"""Tenant admins shape the CMDB: /desk/settings/cmdb/ (namespace ``cmdb_settings``).

The rules (what may be deleted, which names collide, which changes break existing CIs) are in
cmdb.services_schema; these views parse forms, call it and show its refusals on the fields they name.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import admin_required
from cmdb import class_tree, queries, services_schema
from cmdb.forms import AttributeForm, CIClassForm, RelationshipTypeForm
from cmdb.models import AttributeDefinition, CIClass, RelationshipType
from core.exceptions import TicketError
from core.forms import add_service_errors

TAB = "cmdb"


def _tree() -> list[tuple[CIClass, int]]:
    return class_tree.in_tree_order(CIClass.objects.annotate(
        ci_count=Count("cis", distinct=True), attribute_count=Count("attribute_definitions", distinct=True)))


@admin_required
def classes(request):
    return render(request, "cmdb/settings/classes.html", {"tree": _tree(), "tab": TAB})


@admin_required
def class_create(request):
    parent = None
    parent_id = request.POST.get("parent") or request.GET.get("parent")
    if parent_id and str(parent_id).isdigit():
        parent = get_object_or_404(CIClass, pk=int(parent_id))
    form = CIClassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services_schema.create_class(by=request.user, parent=parent, **form.cleaned_data)
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Class {created.name} added.")
            return redirect("cmdb_settings:class_edit", created.pk)
    return render(request, "cmdb/settings/class_form.html", {"form": form, "parent": parent, "tab": TAB},
                  status=400 if form.errors else 200)


@admin_required
def class_edit(request, pk):
    ci_class = get_object_or_404(CIClass, pk=pk)
    form = CIClassForm(request.POST or None, initial={
        "name": ci_class.name, "description": ci_class.description, "is_business_service": ci_class.is_business_service})
    if ci_class.is_builtin:
        form.fields["is_business_service"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services_schema.update_class(ci_class, by=request.user, **form.cleaned_data)
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Class {form.cleaned_data['name']} saved.")
            return redirect("cmdb_settings:class_edit", ci_class.pk)
    return render(request, "cmdb/settings/class_edit.html", _class_context(ci_class, form=form),
                  status=400 if form.errors else 200)


def _class_context(ci_class, **extra):
    lineage = queries.lineage(ci_class)
    definitions = list(AttributeDefinition.objects.filter(ci_class__in=[c.pk for c in lineage])
                       .select_related("ci_class", "reference_class").order_by("order", "id"))
    order = {c.pk: i for i, c in enumerate(lineage)}
    definitions.sort(key=lambda d: (order[d.ci_class_id], d.order, d.pk))
    rows = [(d, d.ci_class_id == ci_class.pk, services_schema.is_builtin_attribute(d)) for d in definitions]
    return {"ci_class": ci_class, "lineage": lineage, "attributes": rows, "tab": TAB,
            "blockers": services_schema.deletion_blockers(ci_class),
            "children": ci_class.children.order_by("name"), **extra}


@admin_required
@require_POST
def class_delete(request, pk):
    ci_class = get_object_or_404(CIClass, pk=pk)
    try:
        services_schema.delete_class(ci_class, by=request.user)
    except TicketError as exc:
        return render(request, "cmdb/settings/class_edit.html", _class_context(
            ci_class, form=CIClassForm(initial={"name": ci_class.name, "description": ci_class.description,
                                                "is_business_service": ci_class.is_business_service}),
            delete_error=exc.message), status=400)
    messages.success(request, f"Class {ci_class.name} deleted.")
    return redirect("cmdb_settings:classes")


@admin_required
def attribute_create(request, pk):
    ci_class = get_object_or_404(CIClass, pk=pk)
    form = AttributeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services_schema.add_attribute(by=request.user, ci_class=ci_class, name=form.cleaned_data["name"],
                                          **form.service_fields())
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Attribute {form.cleaned_data['label']} added to {ci_class.name}.")
            return redirect("cmdb_settings:class_edit", ci_class.pk)
    return render(request, "cmdb/settings/attribute_form.html", {"form": form, "ci_class": ci_class, "tab": TAB},
                  status=400 if form.errors else 200)


@admin_required
def attribute_edit(request, pk):
    definition = get_object_or_404(AttributeDefinition.objects.select_related("ci_class"), pk=pk)
    builtin = services_schema.is_builtin_attribute(definition)
    initial = {name: getattr(definition, name) for name in (
        "name", "label", "type", "required", "reference_class", "max_length", "help_text", "order")}
    initial["choices"] = "\n".join(definition.choices)
    form = AttributeForm(request.POST or None, initial=initial, definition=definition, builtin=builtin)
    if request.method == "POST" and form.is_valid():
        try:
            services_schema.update_attribute(definition, by=request.user, **form.service_fields())
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Attribute {form.cleaned_data['label']} saved.")
            return redirect("cmdb_settings:class_edit", definition.ci_class_id)
    return render(request, "cmdb/settings/attribute_form.html", {
        "form": form, "ci_class": definition.ci_class, "definition": definition, "builtin": builtin, "tab": TAB,
    }, status=400 if form.errors else 200)


@admin_required
@require_POST
def attribute_delete(request, pk):
    definition = get_object_or_404(AttributeDefinition.objects.select_related("ci_class"), pk=pk)
    try:
        cleared = services_schema.delete_attribute(definition, by=request.user)
    except TicketError as exc:
        messages.error(request, exc.describe())
    else:
        messages.success(request, f"Attribute {definition.label} deleted"
                                  + (f"; its value was removed from {cleared} CI(s)." if cleared else "."))
    return redirect("cmdb_settings:class_edit", definition.ci_class_id)


@admin_required
def relationship_types(request):
    rows = RelationshipType.objects.prefetch_related("source_classes", "target_classes").annotate(
        relationship_count=Count("relationships"))
    return render(request, "cmdb/settings/relationship_types.html", {"rows": rows, "tab": TAB})


@admin_required
def relationship_type_edit(request, pk=None):
    relationship_type = get_object_or_404(RelationshipType, pk=pk) if pk else None
    initial = {}
    if relationship_type:
        initial = {"name": relationship_type.name, "reverse_name": relationship_type.reverse_name,
                   "impact": relationship_type.impact, "allows_cycles": relationship_type.allows_cycles,
                   "source_classes": list(relationship_type.source_classes.all()),
                   "target_classes": list(relationship_type.target_classes.all())}
    form = RelationshipTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services_schema.save_relationship_type(by=request.user, relationship_type=relationship_type,
                                                           **form.cleaned_data)
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Relationship type {saved.name} saved.")
            return redirect("cmdb_settings:relationship_types")
    return render(request, "cmdb/settings/relationship_type_form.html", {
        "form": form, "relationship_type": relationship_type, "tab": TAB}, status=400 if form.errors else 200)
