from django.urls import path

from tenants import views_branding

urlpatterns = [
    path("branding/logo", views_branding.logo, name="branding_logo"),
    path("branding/theme.css", views_branding.theme_css, name="branding_theme"),
]
