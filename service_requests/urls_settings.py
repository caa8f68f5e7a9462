"""The catalogue settings, under /desk/settings/catalogue/ (namespace ``catalogue_settings``)."""

from django.urls import path

from service_requests import views_settings as views

urlpatterns = [
    path("", views.catalogue, name="index"),
    path("categories/new/", views.category_edit, name="category_create"),
    path("categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("items/new/", views.item_edit, name="item_create"),
    path("items/<int:pk>/", views.item_edit, name="item_edit"),
    path("items/<int:item_pk>/variables/new/", views.variable_edit, name="variable_create"),
    path("items/<int:item_pk>/variables/<int:pk>/", views.variable_edit, name="variable_edit"),
    path("items/<int:item_pk>/variables/<int:pk>/move/", views.variable_move, name="variable_move"),
    path("items/<int:item_pk>/variables/<int:pk>/delete/", views.variable_delete, name="variable_delete"),
    path("items/<int:item_pk>/tasks/new/", views.task_edit, name="task_create"),
    path("items/<int:item_pk>/tasks/<int:pk>/", views.task_edit, name="task_edit"),
    path("items/<int:item_pk>/tasks/<int:pk>/delete/", views.task_delete, name="task_delete"),
]
