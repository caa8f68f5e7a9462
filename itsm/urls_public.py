"""URLs on the MSP console's host (BASE_DOMAIN, public schema)."""

from django.urls import include, path

from itsm.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include(("tenants.urls_console", "console"))),
]
