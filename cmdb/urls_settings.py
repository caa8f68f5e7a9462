from django.urls import path

from cmdb import views_imports, views_settings

urlpatterns = [
    path("", views_settings.classes, name="classes"),
    path("classes/new/", views_settings.class_create, name="class_create"),
    path("classes/<int:pk>/", views_settings.class_edit, name="class_edit"),
    path("classes/<int:pk>/delete/", views_settings.class_delete, name="class_delete"),
    path("classes/<int:pk>/attributes/new/", views_settings.attribute_create, name="attribute_create"),
    path("attributes/<int:pk>/", views_settings.attribute_edit, name="attribute_edit"),
    path("attributes/<int:pk>/delete/", views_settings.attribute_delete, name="attribute_delete"),
    path("relationship-types/", views_settings.relationship_types, name="relationship_types"),
    path("relationship-types/new/", views_settings.relationship_type_edit, name="relationship_type_create"),
    path("relationship-types/<int:pk>/", views_settings.relationship_type_edit, name="relationship_type_edit"),
    path("identification/", views_imports.identification_settings, name="identification"),
]
