from django.urls import path

from cmdb import views_desk, views_imports

urlpatterns = [
    path("", views_desk.ci_list, name="list"),
    path("new/", views_desk.ci_create, name="create"),
    path("attribute-fields/", views_desk.attribute_fields, name="attribute_fields"),
    path("lookup/", views_desk.ci_lookup, name="lookup"),
    path("<int:pk>/", views_desk.ci_detail, name="detail"),
    path("<int:pk>/edit/", views_desk.ci_edit, name="edit"),
    path("<int:pk>/graph/", views_desk.ci_graph, name="graph"),
    path("<int:pk>/relationships/", views_desk.relationship_add, name="relationship_add"),
    path("<int:pk>/relationships/<int:relationship_pk>/remove/", views_desk.relationship_remove,
         name="relationship_remove"),
    # Imports and the staleness report
    path("imports/", views_imports.import_list, name="import_list"),
    path("imports/new/", views_imports.import_upload, name="import_upload"),
    path("imports/<int:pk>/", views_imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/run-again/", views_imports.import_run_again, name="import_run_again"),
    path("stale/", views_imports.stale_report, name="stale"),
]
