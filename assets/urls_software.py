"""Desk pages for licences and patches, mounted at desk/assets/ (namespace "software") beside the asset pages."""

from django.urls import path

from assets import views_software as views

urlpatterns = [
    path("licences/", views.licences, name="licences"),
    path("products/new/", views.product_edit, name="product_create"),
    path("products/<int:pk>/", views.product_detail, name="product"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:pk>/delete/", views.product_delete, name="product_delete"),
    path("products/<int:product_pk>/entitlements/new/", views.entitlement_edit, name="entitlement_create"),
    path("products/<int:product_pk>/entitlements/<int:pk>/", views.entitlement_edit, name="entitlement_edit"),
    path("products/<int:product_pk>/entitlements/<int:pk>/delete/", views.entitlement_delete,
         name="entitlement_delete"),
    path("patches/", views.patches, name="patches"),
    path("patches/<int:pk>/", views.patch_detail, name="patch"),
    path("patches/services/<int:pk>/", views.service_patches, name="service"),
]
