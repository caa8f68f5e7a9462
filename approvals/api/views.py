"""/api/v1/approvals/ (what waits for me, each request's chain, decide) and /api/v1/approval-chains/ (tenant admins)."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from approvals import definitions, queries, services, subjects
from approvals.api.serializers import (
    ApprovalRequestDetailSerializer,
    ApprovalRequestSerializer,
    ChainInputSerializer,
    ChainSerializer,
    DecideInputSerializer,
)
from approvals.models import ApprovalChainDefinition, ApprovalRequest, StageDefinition
from core.api.errors import ERROR, ErrorSerializer
from core.api.pagination import NewestFirstPagination
from core.api.views import ApiViewMixin

STATE = OpenApiParameter("state", str, enum=list(queries.STATES), required=False,
                         description="`waiting` (the default): what I may decide now, as approver or active delegate; "
                                     "a request state; or `all`.")


def _detail(request_row):
    request_row = queries.attach_tickets([request_row])[0]
    view = queries.chain(request_row.stage.approval_id)
    ticket = request_row.stage.approval.ticket
    request_row.summary = [{"label": label, "value": str(value)} for label, value in subjects.summary_for(ticket)] \
        if ticket is not None else []
    request_row.stages = view.stages if view else []
    return ApprovalRequestDetailSerializer(request_row).data


@extend_schema_view(
    list=extend_schema(summary="Approval requests waiting for me", parameters=[STATE],
                       responses={200: ApprovalRequestSerializer(many=True), 400: ERROR, 401: ERROR, 403: ERROR}),
    retrieve=extend_schema(summary="An approval request with its ticket's summary and the chain so far",
                           description="Visible to its approver, their active delegate, whoever decided it, and agents.",
                           responses={200: ApprovalRequestDetailSerializer, 401: ERROR, 403: ERROR, 404: ERROR}),
)
class ApprovalViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ApprovalRequestSerializer
    pagination_class = NewestFirstPagination
    filter_backends = []
    queryset = ApprovalRequest.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApprovalRequest.objects.none()
        state = self.request.query_params.get("state", "waiting")
        if state not in queries.STATES:
            raise ValidationError({"state": [f"Must be one of: {', '.join(queries.STATES)}."]})
        return queries.requests_of(self.request.user, state)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ApprovalRequestSerializer(queries.attach_tickets(page), many=True).data)

    def _visible(self, pk):
        found = queries.visible_request(self.request.user, pk) if str(pk).isdigit() else None
        if found is None:
            raise NotFound("No such approval request.")
        return found

    def retrieve(self, request, pk=None):
        return Response(_detail(self._visible(pk)))

    @extend_schema(
        summary="Decide an approval request: approve, reject (with the reason) or ask for information",
        request=DecideInputSerializer,
        responses={200: ApprovalRequestDetailSerializer,
                   400: OpenApiResponse(ErrorSerializer, description="Invalid input; a reject or an info needs a comment."),
                   401: ERROR,
                   403: OpenApiResponse(ErrorSerializer, description="Not yours to decide (approver or active delegate only)."),
                   404: ERROR,
                   409: OpenApiResponse(ErrorSerializer, description="Already decided, or the stage or approval is over.")},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        approval_request = self._visible(pk)
        serializer = DecideInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.decide(approval_request, by=request.user, via="api", **serializer.validated_data)
        return Response(_detail(queries.visible_request(request.user, approval_request.pk)))


class TenantAdminOnly(BasePermission):
    message = "Approval chains are for tenant admins."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_tenant_admin)


CHAIN_WRITE = {400: ERROR, 401: ERROR, 403: ERROR}


@extend_schema_view(
    list=extend_schema(summary="List approval chains (tenant admins)",
                       responses={200: ChainSerializer(many=True), 401: ERROR, 403: ERROR}),
    retrieve=extend_schema(summary="An approval chain with its stages (tenant admins)",
                           responses={200: ChainSerializer, 401: ERROR, 403: ERROR, 404: ERROR}),
    create=extend_schema(summary="Create an approval chain (tenant admins)",
                         description="Validated whole: an empty stage, a quorum larger than the group, duplicate stage "
                                     "orders or a bad condition are field errors (`stages.<index>.<field>`), and "
                                     "nothing is saved.",
                         request=ChainInputSerializer, responses={201: ChainSerializer, **CHAIN_WRITE}),
    update=extend_schema(summary="Replace an approval chain and its stages (tenant admins)",
                         description="Approvals already under way keep the stages they started with.",
                         request=ChainInputSerializer, responses={200: ChainSerializer, 404: ERROR, **CHAIN_WRITE}),
)
class ApprovalChainViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ChainSerializer
    permission_classes = [IsAuthenticated, TenantAdminOnly]
    pagination_class = None
    filter_backends = []
    queryset = ApprovalChainDefinition.objects.prefetch_related(
        Prefetch("stages", queryset=StageDefinition.objects.order_by("order")))
    http_method_names = ["get", "post", "put", "head", "options"]

    def _save(self, request, chain=None):
        serializer = ChainInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        stages = [dict(stage) for stage in data.pop("stages")]
        return definitions.save_chain(by=request.user, chain=chain, stages=stages, **data)

    def create(self, request):
        chain = self._save(request)
        return Response(ChainSerializer(self.get_queryset().get(pk=chain.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        chain = self._save(request, self.get_object())
        return Response(ChainSerializer(self.get_queryset().get(pk=chain.pk)).data)
