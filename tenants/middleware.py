from django.http import JsonResponse
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from tenants import host_cache


class TenantResolutionMiddleware(TenantMainMiddleware):
    """django-tenants' middleware (schema from the host, URLconf, unknown host -> 404), with the
    host's tenant read from the shared cache (tenants.host_cache) rather than queried per request."""

    def get_tenant(self, domain_model, hostname):
        return host_cache.tenant_for_host(hostname)


class TenantStatusMiddleware:
    """A suspended tenant's users and API get a clear 403, nothing else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is not None and not tenant.is_public and not tenant.is_active and request.path != "/healthz":
            message = f"The service desk for {tenant.name} is suspended. Contact your service provider."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "code": "tenant_suspended", "fields": {}}, status=403)
            return render(request, "errors/suspended.html", {"message": message, "tenant": tenant}, status=403)
        return self.get_response(request)


def unknown_host(request):
    """No tenant serves this host name (settings.DEFAULT_NOT_FOUND_TENANT_VIEW).

    The API answers in JSON like every other API error; pages get the product's 404 page.
    """
    host = request.get_host().split(":")[0]
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"No service desk is served at {host}.", "code": "unknown_tenant", "fields": {}},
                            status=404)
    return render(request, "errors/404.html", {"path": request.path}, status=404)
