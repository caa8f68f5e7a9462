from rest_framework.routers import SimpleRouter

from service_requests.api.views import (CatalogCategoryViewSet, CatalogItemViewSet, RequestedItemViewSet,
                                        ServiceRequestViewSet)

router = SimpleRouter()
router.register("requests", ServiceRequestViewSet, basename="servicerequest")
router.register("requested-items", RequestedItemViewSet, basename="requesteditem")
router.register("catalog/categories", CatalogCategoryViewSet, basename="catalog-category")
router.register("catalog/items", CatalogItemViewSet, basename="catalog-item")

urlpatterns = router.urls
