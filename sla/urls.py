"""The SLA settings screens, under /desk/settings/sla/ (namespace ``sla``)."""

from django.urls import path

from sla import views

urlpatterns = [
    path("", views.calendars, name="index"),
    path("calendars/", views.calendars, name="calendars"),
    path("calendars/new/", views.calendar_edit, name="calendar_create"),
    path("calendars/<int:pk>/", views.calendar_edit, name="calendar_edit"),
    path("calendars/<int:pk>/import-holidays/", views.calendar_import, name="calendar_import"),
    path("calendars/<int:pk>/check/", views.calendar_check, name="calendar_check"),
    path("calendars/<int:pk>/delete/", views.calendar_delete, name="calendar_delete"),
    path("policies/", views.policies, name="policies"),
    path("policies/new/", views.policy_edit, name="policy_create"),
    path("policies/<int:pk>/", views.policy_edit, name="policy_edit"),
    path("policies/<int:pk>/delete/", views.policy_delete, name="policy_delete"),
]
