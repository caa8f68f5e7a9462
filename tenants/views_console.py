"""MSP console (public schema): list, create, brand, suspend and resume client tenants.

Views parse input and call ``tenants.services``; only MSP operators get in.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import TicketError
from core.forms import add_service_errors
from tenants import queries, services
from tenants.forms import BrandingForm, SuspendForm, TenantCreateForm


def operator_required(view):
    """Anonymous visitors go to the login page; signed-in non-operators get a 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_operator):
            return render(request, "console/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def tenant_url(tenant) -> str:
    """The tenant's desk, on SITE_URL's scheme and port (the request's may be a proxy's inner ones)."""
    host = next((d.domain for d in tenant.domains.all() if d.is_primary), services.tenant_host(tenant.slug))
    return services.absolute_url(host)


@require_GET
@operator_required
def tenant_list(request):
    tenants = [
        {"tenant": tenant, "counts": queries.tenant_counts(tenant), "url": tenant_url(tenant)}
        for tenant in queries.console_tenants()
    ]
    return render(request, "console/tenant_list.html", {"tenants": tenants})


@require_http_methods(["GET", "POST"])
@operator_required
def tenant_create(request):
    form = TenantCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            tenant = services.create_tenant(**form.cleaned_data)
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Tenant {tenant.name} created at {services.tenant_host(tenant.slug)}.")
            return redirect("console:tenant_list")
    status = 400 if form.is_bound else 200
    return render(request, "console/tenant_create.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@operator_required
def tenant_branding(request, slug):
    tenant = get_object_or_404(queries.console_tenants(), slug=slug)
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.update_branding(tenant, **form.changes())
            except TicketError as exc:
                tenant.refresh_from_db()
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Branding of {tenant.name} saved.")
                return redirect("console:tenant_list")
        status = 400
    else:
        form = BrandingForm.for_tenant(tenant)
        status = 200
    return render(request, "console/tenant_branding.html", {"form": form, "tenant": tenant}, status=status)


@require_http_methods(["GET", "POST"])
@operator_required
def tenant_suspend(request, slug):
    tenant = get_object_or_404(queries.console_tenants(), slug=slug)
    form = SuspendForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.suspend_tenant(tenant, reason=form.cleaned_data["reason"])
        messages.success(request, f"{tenant.name} is suspended; its users and API clients are refused.")
        return redirect("console:tenant_list")
    status = 400 if form.is_bound else 200
    return render(request, "console/tenant_suspend.html", {"form": form, "tenant": tenant}, status=status)


@require_http_methods(["GET", "POST"])
@operator_required
def tenant_resume(request, slug):
    tenant = get_object_or_404(queries.console_tenants(), slug=slug)
    if request.method == "POST":
        services.resume_tenant(tenant)
        messages.success(request, f"{tenant.name} is active again.")
        return redirect("console:tenant_list")
    return render(request, "console/tenant_resume.html", {"tenant": tenant})
