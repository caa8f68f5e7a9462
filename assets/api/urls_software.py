"""/api/v1/assets/ routes for software licences and patches (the asset and contract routes are in assets.api.urls).

Included before assets.api.urls: its ``<id>/`` pattern would otherwise take ``products/`` for an asset id."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from assets.api.software_views import (
    EntitlementViewSet,
    InstallationViewSet,
    LicenceComplianceView,
    PatchComplianceView,
    PatchStateViewSet,
    PatchViewSet,
    ProductViewSet,
    ServicePatchComplianceView,
    ServicesAtRiskView,
)

router = SimpleRouter()
router.register("products", ProductViewSet, basename="software-product")
router.register("entitlements", EntitlementViewSet, basename="software-entitlement")
router.register("installations", InstallationViewSet, basename="software-installation")
router.register("patches", PatchViewSet, basename="software-patch")
router.register("patch-states", PatchStateViewSet, basename="software-patch-state")

urlpatterns = [
    *router.urls,
    path("licence-compliance/", LicenceComplianceView.as_view(), name="software-licence-compliance"),
    path("patch-compliance/", PatchComplianceView.as_view(), name="software-patch-compliance"),
    path("patch-compliance/services/", ServicePatchComplianceView.as_view(), name="software-service-patch-compliance"),
    path("patch-compliance/at-risk/", ServicesAtRiskView.as_view(), name="software-services-at-risk"),
]
