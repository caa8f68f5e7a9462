from rest_framework.routers import SimpleRouter

from approvals.api.views import ApprovalChainViewSet, ApprovalViewSet

router = SimpleRouter()
router.register("approvals", ApprovalViewSet, basename="approval")
router.register("approval-chains", ApprovalChainViewSet, basename="approval-chain")

urlpatterns = router.urls
