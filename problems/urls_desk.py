from django.urls import path

from problems import views

urlpatterns = [
    path("known-errors/", views.known_errors, name="known_errors"),
    path("known-errors/<str:number>/apply/", views.apply_workaround, name="apply_workaround"),
    path("problems/<str:number>/known-error/", views.known_error, name="known_error"),
]
