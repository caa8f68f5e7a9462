from django.urls import path
from rest_framework.routers import SimpleRouter

from sla.api.views import CalendarViewSet, ClockViewSet, ComplianceView, PolicyViewSet

router = SimpleRouter()
router.register("calendars", CalendarViewSet, basename="sla-calendar")
router.register("policies", PolicyViewSet, basename="sla-policy")
router.register("clocks", ClockViewSet, basename="sla-clock")

urlpatterns = [*router.urls, path("compliance/", ComplianceView.as_view(), name="sla-compliance")]
