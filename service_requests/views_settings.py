"""The catalogue settings (tenant admins, /desk/settings/catalogue/): forms parse, configuration decides."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import admin_required
from core.exceptions import TicketError
from core.forms import add_service_errors
from service_requests import configuration
from service_requests.forms_settings import CategoryForm, ItemForm, TaskTemplateForm, VariableForm
from service_requests.models import CatalogCategory, CatalogItem, CatalogVariable, FulfilmentTaskTemplate

TAB = "catalogue"


@admin_required
def catalogue(request):
    categories = CatalogCategory.objects.annotate(item_count=Count("items"))
    items = (CatalogItem.objects.select_related("category")
             .annotate(variable_count=Count("variables", distinct=True), task_count=Count("task_templates", distinct=True))
             .order_by("category__order", "category__name", "order", "name"))
    return render(request, "service_requests/settings/catalogue.html",
                  {"categories": categories, "items": items, "tab": TAB})


def _page(request, template, context, *, failed=False):
    return render(request, f"service_requests/settings/{template}", {**context, "tab": TAB},
                  status=400 if failed else 200)


@admin_required
def category_edit(request, pk=None):
    category = get_object_or_404(CatalogCategory, pk=pk) if pk else None
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        try:
            saved = configuration.save_category(by=request.user, category=category, **form.cleaned_data)
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Category {saved.name} saved.")
            return redirect("catalogue_settings:index")
    return _page(request, "form.html", {"form": form, "title": category.name if category else "New category",
                                        "heading": "Category"}, failed=bool(form.errors))


@admin_required
def item_edit(request, pk=None):
    item = get_object_or_404(CatalogItem, pk=pk) if pk else None
    # The model form must not write the row itself: only its parsing is used.
    form = ItemForm(request.POST or None, instance=item or CatalogItem())
    if request.method == "POST" and form.is_valid():
        try:
            saved = configuration.save_item(by=request.user, item=item, **form.service_fields())
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Item {saved.name} saved.")
            return redirect("catalogue_settings:item_edit", pk=saved.pk)
    context = {"form": form, "item": item}
    if item is not None:
        context["variables"] = item.variables.order_by("order", "pk")
        context["task_templates"] = item.task_templates.select_related("assignment_group")
    return _page(request, "item.html", context, failed=bool(form.errors))


@admin_required
def variable_edit(request, item_pk, pk=None):
    item = get_object_or_404(CatalogItem, pk=item_pk)
    variable = get_object_or_404(CatalogVariable, pk=pk, item=item) if pk else None
    form = VariableForm(request.POST or None, item=item, variable=variable)
    if request.method == "POST" and form.is_valid():
        try:
            configuration.save_variable(by=request.user, item=item, variable=variable, **form.service_fields())
        except TicketError as exc:
            add_service_errors(form, exc, VariableForm.ALIASES)
        else:
            messages.success(request, f"Variable saved on {item.name}.")
            return redirect("catalogue_settings:item_edit", pk=item.pk)
    return _page(request, "form.html", {"form": form, "item": item, "heading": "Variable",
                                        "title": variable.label if variable else f"New variable of {item.name}"},
                 failed=bool(form.errors))


@admin_required
@require_POST
def variable_move(request, item_pk, pk):
    variable = get_object_or_404(CatalogVariable, pk=pk, item_id=item_pk)
    configuration.move_variable(by=request.user, variable=variable, up=request.POST.get("direction") == "up")
    return redirect("catalogue_settings:item_edit", pk=item_pk)


@admin_required
@require_POST
def variable_delete(request, item_pk, pk):
    variable = get_object_or_404(CatalogVariable, pk=pk, item_id=item_pk)
    try:
        configuration.delete_variable(by=request.user, variable=variable)
    except TicketError as exc:
        messages.error(request, exc.describe())
    else:
        messages.success(request, f"Variable {variable.label} removed.")
    return redirect("catalogue_settings:item_edit", pk=item_pk)


@admin_required
def task_edit(request, item_pk, pk=None):
    item = get_object_or_404(CatalogItem, pk=item_pk)
    template = get_object_or_404(FulfilmentTaskTemplate, pk=pk, item=item) if pk else None
    form = TaskTemplateForm(request.POST or None, instance=template or FulfilmentTaskTemplate(item=item))
    if request.method == "POST" and form.is_valid():
        try:
            configuration.save_task_template(by=request.user, item=item, template=template, **form.cleaned_data)
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Task template saved on {item.name}.")
            return redirect("catalogue_settings:item_edit", pk=item.pk)
    return _page(request, "form.html", {"form": form, "item": item, "heading": "Fulfilment task",
                                        "title": template.title if template else f"New task for {item.name}"},
                 failed=bool(form.errors))


@admin_required
@require_POST
def task_delete(request, item_pk, pk):
    template = get_object_or_404(FulfilmentTaskTemplate, pk=pk, item_id=item_pk)
    configuration.delete_task_template(by=request.user, template=template)
    messages.success(request, f"Task template {template.title} removed.")
    return redirect("catalogue_settings:item_edit", pk=item_pk)
