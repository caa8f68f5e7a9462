"""/api/v1/cmdb/: classes with their schemas, relationship types, CIs (history, impact), relationships, and the
affected CIs of tickets. For the service desk team: requesters get 403.

Every write goes through ``cmdb.services`` / ``cmdb.affected`` (validation, history, one transaction), so
bad input is a 400 with field messages (attributes as ``attributes.<name>``) and nothing is half-written.
CIs are retired, not deleted: their history and the tickets that named them stay readable.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cmdb import affected, services
from cmdb.api.filters import CIFilter, RelationshipFilter
from cmdb.api.serializers import (
    AffectedCIInputSerializer,
    CIClassSerializer,
    CIHistorySerializer,
    CIInputSerializer,
    CISerializer,
    ImpactQuerySerializer,
    ImpactSerializer,
    RelationshipInputSerializer,
    RelationshipSerializer,
    RelationshipTypeSerializer,
    TicketImpactSerializer,
    ci_ref,
    impacted_ref,
    reached_ref,
)
from cmdb.class_schemas import class_schemas
from cmdb.reach import reach
from cmdb.models import CI, Relationship, RelationshipType
from core.api.errors import ERROR, READ_ERRORS, WRITE_ERRORS
from core.api.pagination import NewestFirstPagination, OldestFirstPagination
from core.api.views import ApiViewMixin
from core.exceptions import ValidationFailed
from tickets.api.preconditions import IF_MATCH_PARAMETER, expected_version

SOURCE = "api"
ETAG_HEADER = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 201],
    description='The CI\'s current version, e.g. "3"; send it back as If-Match to guard a change.')
CI_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The CI's id.")


class AgentsOnly(BasePermission):
    message = "The CMDB is for the service desk team."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_agent)


class CmdbView(ApiViewMixin):
    permission_classes = [IsAuthenticated, AgentsOnly]


def validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _pk(value) -> int:
    """A path id as a number; anything else is as unknown as a missing row."""
    if not str(value).isdigit():
        raise NotFound("Not found.")
    return int(value)


# -- classes and relationship types ---------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="List CI classes with their attribute schemas",
                       description="Each with its whole schema: the ancestors' attributes first, each naming the "
                                   "class that defines it (`defined_by`).",
                       responses={200: CIClassSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(summary="A CI class with its attribute schema",
                           parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
                           responses={200: CIClassSerializer, 404: ERROR, **READ_ERRORS}),
)
class CIClassViewSet(CmdbView, viewsets.ViewSet):
    serializer_class = CIClassSerializer

    def list(self, request):
        return Response(CIClassSerializer(class_schemas(), many=True, context={"request": request}).data)

    def retrieve(self, request, pk=None):
        found = class_schemas([_pk(pk)])
        if not found:
            raise NotFound(f"No CI class {pk}.")
        return Response(CIClassSerializer(found[0], context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(summary="List relationship types",
                       description="`impact` says which end a failure reaches; `source_classes` and "
                                   "`target_classes` which classes each end may be (empty: any).",
                       responses={200: RelationshipTypeSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(summary="A relationship type",
                           responses={200: RelationshipTypeSerializer, 404: ERROR, **READ_ERRORS}),
)
class RelationshipTypeViewSet(CmdbView, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RelationshipTypeSerializer
    queryset = RelationshipType.objects.prefetch_related("source_classes", "target_classes")
    pagination_class = None
    filter_backends = []


# -- CIs ------------------------------------------------------------------------------------------------

def _etagged(response, ci):
    response["ETag"] = f'"{ci.version}"'
    return response


@extend_schema_view(
    list=extend_schema(summary="List CIs",
                       description="Newest first, cursor-paginated. `ci_class` includes the class's descendants; "
                                   "`status`, `environment` and `criticality` may repeat.",
                       responses={200: CISerializer(many=True), 400: ERROR, **READ_ERRORS}),
    retrieve=extend_schema(summary="A CI", parameters=[ETAG_HEADER],
                           description="Send `If-None-Match` with the ETag to get 304 when nothing changed.",
                           responses={200: CISerializer, 304: OpenApiResponse(description="Not modified."),
                                      404: ERROR, **READ_ERRORS}),
    create=extend_schema(summary="Create a CI", request=CIInputSerializer, parameters=[ETAG_HEADER],
                         description="Attributes are validated against the class and its ancestors "
                                     "(`attributes.<name>` field errors); a serial number, FQDN or cloud id "
                                     "another CI has is refused.",
                         responses={201: CISerializer, **WRITE_ERRORS}),
    partial_update=extend_schema(summary="Change some of a CI's fields",
                                 description="Recorded in the CI's history. `attributes`, when given, replaces the "
                                             "whole set. Retire a CI with `{\"status\": \"retired\"}` (CIs are "
                                             "not deleted). A stale If-Match is 412 and changes nothing.",
                                 request=CIInputSerializer, parameters=[IF_MATCH_PARAMETER, ETAG_HEADER],
                                 responses={200: CISerializer, 404: ERROR, 412: ERROR, **WRITE_ERRORS}),
)
class CIViewSet(CmdbView, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = CISerializer
    queryset = CI.objects.select_related("ci_class", "owner_user", "owner_group", "support_group")
    filterset_class = CIFilter
    pagination_class = NewestFirstPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_ci(self, pk) -> CI:
        ci = self.get_queryset().filter(pk=_pk(pk)).first()
        if ci is None:
            raise NotFound(f"No CI {pk}.")
        return ci

    def represent(self, ci, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=ci.pk)
        return _etagged(Response(self.get_serializer(fresh).data, status=status_code), fresh)

    def retrieve(self, request, pk=None):
        ci = self.get_ci(pk)
        if request.headers.get("If-None-Match") == f'"{ci.version}"':
            return _etagged(Response(status=status.HTTP_304_NOT_MODIFIED), ci)
        return _etagged(Response(self.get_serializer(ci).data), ci)

    def create(self, request):
        data = validated(CIInputSerializer, request.data)
        ci = services.create_ci(by=request.user, source=SOURCE, **data)
        response = self.represent(ci, status.HTTP_201_CREATED)
        response["Location"] = str(response.data["url"])
        return response

    def partial_update(self, request, pk=None):
        ci = self.get_ci(pk)
        version = expected_version(request, ci)
        data = validated(CIInputSerializer, request.data, partial=True)
        ci, _ = services.update_ci(ci, by=request.user, source=SOURCE, version=version, **data)
        return self.represent(ci)

    @extend_schema(summary="A CI's history", parameters=[CI_ID],
                   description="Oldest first: who or which source changed which field or attribute, and the "
                               "relationships added and removed.",
                   responses={200: CIHistorySerializer(many=True), 404: ERROR, **READ_ERRORS})
    @action(detail=True, methods=["get"], pagination_class=OldestFirstPagination, filterset_class=None,
            filter_backends=[])
    def history(self, request, pk=None):
        ci = self.get_ci(pk)
        page = self.paginate_queryset(ci.history.select_related("author").order_by("created_at", "id"))
        return self.get_paginated_response(CIHistorySerializer(page, many=True).data)

    @extend_schema(summary="Impact: what a CI's failure reaches, or what it depends on",
                   parameters=[CI_ID, ImpactQuerySerializer],
                   description="Follows each relationship type's impact direction in the database (a recursive "
                               "query with cycle protection), to `depth` hops. Each CI reached comes with its "
                               "depth, the shortest path to it (ids and names) and the relationship types along it "
                               "(`via`); `business_services` are the business services among them.",
                   responses={200: ImpactSerializer, 400: ERROR, 404: ERROR, **READ_ERRORS})
    @action(detail=True, methods=["get"], filterset_class=None, filter_backends=[], pagination_class=None)
    def impact(self, request, pk=None):
        ci = self.get_ci(pk)
        query = validated(ImpactQuerySerializer, request.query_params.dict())
        reached = [reached_ref(found, request) for found in reach([ci.pk], direction=query["direction"],
                                                                    depth=query["depth"])]
        return Response(ImpactSerializer({
            "ci": ci_ref(ci, request), "direction": query["direction"], "depth": query["depth"], "reached": reached,
            "business_services": [entry for entry in reached if entry["is_business_service"]]}).data)


# -- relationships -------------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="List relationships",
                       description="Newest first; filter by `ci` (either end), `source`, `target` or `type` (key).",
                       responses={200: RelationshipSerializer(many=True), 400: ERROR, **READ_ERRORS}),
    retrieve=extend_schema(summary="A relationship", responses={200: RelationshipSerializer, 404: ERROR, **READ_ERRORS}),
    create=extend_schema(summary="Relate two CIs",
                         description="Refused with 400 and a field message (nothing written) for a class the type "
                                     "does not join, a CI related to itself, a relationship that exists already, or "
                                     "a cycle the type forbids. Recorded in both CIs' history.",
                         request=RelationshipInputSerializer, responses={201: RelationshipSerializer, **WRITE_ERRORS}),
    destroy=extend_schema(summary="Remove a relationship", description="Recorded in both CIs' history.",
                          responses={204: OpenApiResponse(description="Removed."), 404: ERROR, **WRITE_ERRORS}),
)
class RelationshipViewSet(CmdbView, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = RelationshipSerializer
    queryset = Relationship.objects.select_related("type", "source__ci_class", "target__ci_class", "created_by")
    filterset_class = RelationshipFilter
    pagination_class = NewestFirstPagination
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_relationship(self, pk) -> Relationship:
        found = self.get_queryset().filter(pk=_pk(pk)).first()
        if found is None:
            raise NotFound(f"No relationship {pk}.")
        return found

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_relationship(pk)).data)

    def create(self, request):
        data = validated(RelationshipInputSerializer, request.data)
        made = services.add_relationship(by=request.user, type=data["type"], source=data["source"],
                                         target=data["target"])
        return Response(self.get_serializer(self.get_queryset().get(pk=made.pk)).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        services.remove_relationship(self.get_relationship(pk), by=request.user, source=SOURCE)
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- affected CIs on tickets ------------------------------------------------------------------------------

NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH,
                          description="The ticket's number, of any type that shows affected CIs (incidents, "
                                      "problems, tasks), e.g. INC0001001.")


def _ticket(number: str):
    ticket = affected.ticket_with_affected_cis(number)
    if ticket is None:
        raise NotFound(f"No ticket {number.upper()} with affected CIs.")
    return ticket


def _ticket_impact(ticket, request) -> dict:
    ids = affected.affected_ci_ids(type(ticket), ticket.pk)
    return {"ticket": ticket.number,
            "affected_cis": [ci_ref(ci, request) for ci in affected.cis_in_order(ids)],
            "impacted_services": [impacted_ref(s, request) for s in affected.impacted_services_of(ids)]}


class TicketAffectedCIsView(CmdbView, APIView):
    @extend_schema(operation_id="cmdb_tickets_affected_cis_list", summary="A ticket's affected CIs and impacted services",
                   parameters=[NUMBER], responses={200: TicketImpactSerializer, 404: ERROR, **READ_ERRORS})
    def get(self, request, number):
        return Response(TicketImpactSerializer(_ticket_impact(_ticket(number), request)).data)

    @extend_schema(operation_id="cmdb_tickets_affected_cis_create", summary="Name an affected CI on a ticket",
                   description="Recorded on the ticket's timeline and moves its version (its ETag). Refused with "
                               "400 (`ci`) for an unknown, retired or already named CI.",
                   parameters=[NUMBER], request=AffectedCIInputSerializer,
                   responses={201: TicketImpactSerializer, 404: ERROR, **WRITE_ERRORS})
    def post(self, request, number):
        ticket = _ticket(number)
        data = validated(AffectedCIInputSerializer, request.data)
        ci = CI.objects.select_related("ci_class").filter(pk=data["ci"]).first()
        if ci is None:
            raise ValidationFailed("The CI was not named.", fields={"ci": [f"No CI {data['ci']}."]})
        affected.add_affected(ticket, ci, by=request.user)
        return Response(TicketImpactSerializer(_ticket_impact(ticket, request)).data, status=status.HTTP_201_CREATED)


class TicketAffectedCIView(CmdbView, APIView):
    @extend_schema(operation_id="cmdb_tickets_affected_cis_destroy", summary="Remove an affected CI from a ticket",
                   description="Recorded on the ticket's timeline. 404 when the CI is not named on the ticket.",
                   parameters=[NUMBER, OpenApiParameter("ci_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                                        description="The CI's id.")],
                   request=None, responses={204: OpenApiResponse(description="Removed."), 404: ERROR, **WRITE_ERRORS})
    def delete(self, request, number, ci_id):
        ticket = _ticket(number)
        ci = CI.objects.select_related("ci_class").filter(pk=ci_id).first()
        if ci is None or ci.pk not in affected.affected_ci_ids(type(ticket), ticket.pk):
            raise NotFound(f"CI {ci_id} is not an affected CI of {ticket.number}.")
        affected.remove_affected(ticket, ci, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
