"""Desk URLs of imports and the staleness report (/desk/cmdb/, namespace ``cmdb_imports``) and of the
identification settings (``settings_urlpatterns``: /desk/settings/cmdb/, namespace ``cmdb_imports_settings``)."""

from django.urls import path

from cmdb import views_imports

urlpatterns = [
    path("imports/", views_imports.import_list, name="import_list"),
    path("imports/new/", views_imports.import_upload, name="import_upload"),
    path("imports/<int:pk>/", views_imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/run-again/", views_imports.import_run_again, name="import_run_again"),
    path("stale/", views_imports.stale_report, name="stale"),
]

settings_urlpatterns = [
    path("identification/", views_imports.identification_settings, name="identification"),
]
