"""The ticket core's settings pages (under /desk/settings/, in the "settings" namespace: see itsm.urls_tenant)."""

from django.urls import path

from tickets import views_settings as views

urlpatterns = [
    path("priority-matrix/", views.priority_matrix, name="priority_matrix"),
]
