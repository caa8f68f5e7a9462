from rest_framework.routers import SimpleRouter

from sla.api.views import CalendarViewSet, ClockViewSet, ComplianceViewSet, PolicyViewSet

router = SimpleRouter()
router.register("calendars", CalendarViewSet, basename="sla-calendar")
router.register("policies", PolicyViewSet, basename="sla-policy")
router.register("clocks", ClockViewSet, basename="sla-clock")
router.register("compliance", ComplianceViewSet, basename="sla-compliance")

urlpatterns = router.urls
