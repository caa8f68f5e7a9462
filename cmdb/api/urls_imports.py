from rest_framework.routers import SimpleRouter

from cmdb.api.imports import ImportJobViewSet

router = SimpleRouter()
router.register("imports", ImportJobViewSet, basename="cmdb-import")

urlpatterns = router.urls
