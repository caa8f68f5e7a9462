"""The catalogue in the portal, under /portal/catalogue/ (namespace ``catalogue``)."""

from django.urls import path

from service_requests import views_portal as views

urlpatterns = [
    path("", views.catalogue, name="index"),
    path("<int:pk>/", views.order, name="order"),
]
