from django.urls import path

from assets import views

urlpatterns = [
    path("", views.asset_list, name="list"),
    path("new/", views.asset_create, name="create"),
    path("<int:pk>/", views.asset_detail, name="asset"),
    path("<int:pk>/edit/", views.asset_edit, name="edit"),
    path("<int:pk>/lifecycle/", views.asset_transition, name="transition"),
    path("<int:pk>/ci/", views.asset_ci, name="ci"),
    path("contracts/", views.contract_list, name="contracts"),
    path("contracts/new/", views.contract_create, name="contract_create"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
]
