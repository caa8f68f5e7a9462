"""Tenant hosts only: the role-based home redirect and the user's own settings."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.api_tokens, name="api_tokens"),
    path("profile/tokens/<int:pk>/revoke/", views.revoke_api_token, name="revoke_api_token"),
]
