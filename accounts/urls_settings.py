"""Settings pages of people and groups; itsm.urls_tenant puts every floor's settings pages in one "settings" namespace."""

from django.urls import path

from accounts import views_settings as views

urlpatterns = [
    path("", views.people, name="people"),
    path("groups/", views.groups, name="groups"),
    path("groups/new/", views.group_edit, name="group_create"),
    path("groups/<int:pk>/", views.group_edit, name="group_edit"),
]
