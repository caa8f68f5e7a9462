"""URLs on a tenant's host (<slug>.<BASE_DOMAIN>): agent desk, portal, API."""

from django.urls import include, path

from itsm.health import healthz

handler403 = "accounts.views_errors.permission_denied"
handler404 = "accounts.views_errors.page_not_found"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include("accounts.urls_tenant")),
    path("desk/settings/", include("accounts.urls_settings")),
    path("desk/settings/sla/", include(("sla.urls", "sla"))),
    path("desk/", include(("tickets.urls_desk", "desk"))),
    path("portal/", include(("tickets.urls_portal", "portal"))),
    path("", include("tickets.urls")),
    path("", include("tenants.urls_tenant")),
    path("api/", include("itsm.api_urls")),
]
