from django.urls import path

from approvals import views_settings

urlpatterns = [
    path("", views_settings.chains, name="chains"),
    path("new/", views_settings.chain_edit, name="chain_create"),
    path("<int:pk>/", views_settings.chain_edit, name="chain_edit"),
]
