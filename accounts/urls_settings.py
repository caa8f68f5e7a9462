from django.urls import path

from accounts import views_settings as views

app_name = "settings"

urlpatterns = [
    path("", views.people, name="people"),
    path("groups/", views.groups, name="groups"),
    path("groups/new/", views.group_edit, name="group_create"),
    path("groups/<int:pk>/", views.group_edit, name="group_edit"),
    path("priority-matrix/", views.priority_matrix, name="priority_matrix"),
]
