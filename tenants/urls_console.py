"""MSP console on the public host (namespace ``console``)."""

from django.urls import path

from tenants import views_console as views

urlpatterns = [
    path("", views.tenant_list, name="tenant_list"),
    path("tenants/new/", views.tenant_create, name="tenant_create"),
    path("tenants/<slug:slug>/branding/", views.tenant_branding, name="tenant_branding"),
    path("tenants/<slug:slug>/suspend/", views.tenant_suspend, name="tenant_suspend"),
    path("tenants/<slug:slug>/resume/", views.tenant_resume, name="tenant_resume"),
]
