"""Desk pages for software licences and patches (agents): compliance, products, entitlements, patches.

Views parse forms and call ``assets.software``; reads come from ``assets.licensing`` and ``assets.patching``.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import agent_required
from assets import licensing, patching, software
from assets.forms_software import EntitlementForm, ProductForm
from assets.models import Entitlement, Installation, Patch, SoftwareProduct
from core.exceptions import TicketError
from core.forms import add_service_errors

PAGE_ROWS = 100  # rows a page lists (the worst assets, the most-missed patches, installations); the API has the rest


@agent_required
def licences(request):
    results = licensing.compliance()
    return render(request, "assets/software/licences.html",
                  {"results": results, "totals": licensing.totals(results), "nav": "assets", "assets_tab": "licences"})


@agent_required
def product_detail(request, pk):
    product = get_object_or_404(SoftwareProduct, pk=pk)
    installations = (Installation.objects.filter(product=product)
                     .select_related("asset", "asset__assigned_to", "user").order_by("asset__asset_tag"))
    return render(request, "assets/software/product.html", {
        "product": product, "result": licensing.compliance_of(product),
        "entitlements": product.entitlements.select_related("contract").order_by("-ends_on", "id"),
        "installations": installations[:PAGE_ROWS], "installation_count": installations.count(),
        "page_rows": PAGE_ROWS, "inactive": licensing.INACTIVE_LIFECYCLES, "nav": "assets", "assets_tab": "licences"})


@agent_required
@require_http_methods(["GET", "POST"])
def product_edit(request, pk=None):
    product = get_object_or_404(SoftwareProduct, pk=pk) if pk else None
    initial = {"vendor": product.vendor, "name": product.name} if product else {}
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            product = software.save_product(by=request.user, product=product, **form.cleaned_data)
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved {product}.")
            return redirect("software:product", product.pk)
    return render(request, "assets/software/product_edit.html",
                  {"form": form, "product": product, "nav": "assets", "assets_tab": "licences"})


@agent_required
@require_POST
def product_delete(request, pk):
    product = get_object_or_404(SoftwareProduct, pk=pk)
    try:
        software.delete_product(by=request.user, product=product)
    except TicketError as exc:
        messages.error(request, exc.describe())
        return redirect("software:product", product.pk)
    messages.success(request, f"Deleted {product}.")
    return redirect("software:licences")


@agent_required
@require_http_methods(["GET", "POST"])
def entitlement_edit(request, product_pk, pk=None):
    product = get_object_or_404(SoftwareProduct, pk=product_pk)
    entitlement = get_object_or_404(Entitlement, pk=pk, product=product) if pk else None
    form = EntitlementForm(request.POST or None, initial=EntitlementForm.initial_of(entitlement) if entitlement else {})
    if request.method == "POST" and form.is_valid():
        try:
            software.save_entitlement(by=request.user, product=product, entitlement=entitlement, **form.cleaned_data)
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Entitlement saved.")
            return redirect("software:product", product.pk)
    return render(request, "assets/software/entitlement_edit.html",
                  {"form": form, "product": product, "entitlement": entitlement, "nav": "assets", "assets_tab": "licences"})


@agent_required
@require_POST
def entitlement_delete(request, product_pk, pk):
    entitlement = get_object_or_404(Entitlement, pk=pk, product_id=product_pk)
    software.delete_entitlement(by=request.user, entitlement=entitlement)
    messages.success(request, "Entitlement deleted.")
    return redirect("software:product", product_pk)


@agent_required
def patches(request):
    services = patching.per_service()
    return render(request, "assets/software/patches.html", {
        "overall": patching.overall(), "assets": patching.per_asset(limit=PAGE_ROWS), "services": services,
        "at_risk": patching.services_on_unpatched_critical_servers(behind=services),
        "patches": patching.patches_with_counts()[:PAGE_ROWS], "page_rows": PAGE_ROWS, "nav": "assets", "assets_tab": "patches"})


@agent_required
def patch_detail(request, pk):
    patch = get_object_or_404(Patch, pk=pk)
    missing = patching.missing_assets(patch)
    return render(request, "assets/software/patch.html", {
        "patch": patch, "assets": missing[:PAGE_ROWS], "missing_count": missing.count(), "page_rows": PAGE_ROWS,
        "nav": "assets", "assets_tab": "patches"})


@agent_required
def service_patches(request, pk):
    service = get_object_or_404(patching.business_services(), pk=pk)
    return render(request, "assets/software/service_patches.html",
                  {"compliance": patching.for_service(service), "nav": "assets", "assets_tab": "patches"})

