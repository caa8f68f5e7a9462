from django.urls import path
from rest_framework.routers import SimpleRouter

from cmdb.api.views import (
    CIClassViewSet,
    CIViewSet,
    RelationshipTypeViewSet,
    RelationshipViewSet,
    TicketAffectedCIsView,
    TicketAffectedCIView,
)

router = SimpleRouter()
router.register("classes", CIClassViewSet, basename="cmdb-class")
router.register("relationship-types", RelationshipTypeViewSet, basename="cmdb-relationship-type")
router.register("cis", CIViewSet, basename="cmdb-ci")
router.register("relationships", RelationshipViewSet, basename="cmdb-relationship")

urlpatterns = [
    *router.urls,
    path("tickets/<str:number>/affected-cis/", TicketAffectedCIsView.as_view(), name="cmdb-ticket-affected-cis"),
    path("tickets/<str:number>/affected-cis/<int:ci_id>/", TicketAffectedCIView.as_view(),
         name="cmdb-ticket-affected-ci"),
]
