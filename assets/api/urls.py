from rest_framework.routers import SimpleRouter

from assets.api.views import AssetViewSet, ContractViewSet

router = SimpleRouter()
# Contracts first: the asset routes (``/api/v1/assets/<id>/``) take digits only, so the two never clash.
router.register("contracts", ContractViewSet, basename="asset-contract")
router.register("", AssetViewSet, basename="asset")

urlpatterns = router.urls
