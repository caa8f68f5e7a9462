"""URLs on a tenant's host (<slug>.<BASE_DOMAIN>): agent desk, portal, API."""

from django.urls import include, path

from accounts import urls_settings as account_settings
from cmdb import urls_imports as cmdb_imports
from itsm.health import healthz
from tickets import urls_settings as ticket_settings

handler403 = "accounts.views_errors.permission_denied"
handler404 = "accounts.views_errors.page_not_found"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include("accounts.urls_tenant")),
    # One "settings" namespace for the settings pages of each floor: people and groups, the priority matrix.
    path("desk/settings/", include((account_settings.urlpatterns + ticket_settings.urlpatterns, "settings"))),
    path("desk/settings/sla/", include(("sla.urls", "sla"))),
    path("desk/settings/catalogue/", include(("service_requests.urls_settings", "catalogue_settings"))),
    path("desk/settings/approvals/", include(("approvals.urls_settings", "approval_settings"))),
    path("desk/settings/cmdb/", include((cmdb_imports.settings_urlpatterns, "cmdb_imports_settings"))),
    path("desk/cmdb/", include(("cmdb.urls_imports", "cmdb_imports"))),
    path("desk/", include(("tickets.urls_desk", "desk"))),
    path("portal/catalogue/", include(("service_requests.urls_portal", "catalogue"))),
    path("portal/", include(("tickets.urls_portal", "portal"))),
    path("", include("approvals.urls")),
    path("", include("approvals.urls_link")),
    path("", include("tickets.urls")),
    path("", include("tenants.urls_tenant")),
    path("api/", include("itsm.api_urls")),
]
