"""/api/v1/assets/ for software: products, entitlements, installations, licence compliance, patches, patch
states and patch compliance. Agents only; requesters get 403."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from assets import licensing, patching, recording, software
from assets.api.software_serializers import (
    BulkInputSerializer,
    BulkReportSerializer,
    EntitlementInputSerializer,
    EntitlementSerializer,
    InstallationSerializer,
    PatchComplianceSerializer,
    PatchInputSerializer,
    PatchSerializer,
    PatchStateSerializer,
    ProductComplianceSerializer,
    ProductInputSerializer,
    ProductSerializer,
    ServiceAtRiskSerializer,
    ServiceComplianceSerializer,
)
from assets.filters_software import EntitlementFilter, InstallationFilter, PatchFilter, PatchStateFilter
from assets.models import Entitlement, Installation, Patch, PatchState, SoftwareProduct
from core.api.errors import ERROR, READ_ERRORS, WRITE_ERRORS
from core.api.pagination import NewestFirstPagination
from core.api.views import ApiViewMixin



class AgentAccess(BasePermission):
    message = "Software licences and patches are for the service desk team."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_agent)


def validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _whole_number(request, name):
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise ValidationError({name: ["Must be a whole number (an id)."]})
    return int(raw)


class SoftwareViewSet(ApiViewMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, AgentAccess]
    pagination_class = NewestFirstPagination
    filter_backends = [DjangoFilterBackend]

    def represent(self, instance, status_code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=instance.pk)).data, status=status_code)


def _crud_schema(noun: str, serializer, input_serializer, *, destroy: str = ""):
    return extend_schema_view(
        list=extend_schema(summary=f"List {noun}s", responses={200: serializer(many=True), 400: ERROR, **READ_ERRORS}),
        retrieve=extend_schema(summary=f"Get a {noun}", responses={200: serializer, 404: ERROR, **READ_ERRORS}),
        create=extend_schema(summary=f"Create a {noun}", request=input_serializer,
                             responses={201: serializer, **WRITE_ERRORS}),
        update=extend_schema(summary=f"Replace a {noun}", request=input_serializer,
                             responses={200: serializer, 404: ERROR, **WRITE_ERRORS}),
        partial_update=extend_schema(summary=f"Change some of a {noun}'s fields", request=input_serializer,
                                     responses={200: serializer, 404: ERROR, **WRITE_ERRORS}),
        destroy=extend_schema(summary=f"Delete a {noun}", description=destroy,
                              responses={204: OpenApiResponse(description="Deleted."), 404: ERROR, **WRITE_ERRORS}),
    )


@_crud_schema("software product", ProductSerializer, ProductInputSerializer,
              destroy="Refused (400) while the product has entitlements.")
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SoftwareViewSet):
    serializer_class = ProductSerializer
    queryset = SoftwareProduct.objects.all()
    filter_backends = []

    def create(self, request):
        product = software.save_product(by=request.user, **validated(ProductInputSerializer, request.data))
        return self.represent(product, status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        product = self.get_object()
        data = {"vendor": product.vendor, "name": product.name,
                **validated(ProductInputSerializer, request.data, partial=partial)}
        return self.represent(software.save_product(by=request.user, product=product, **data))

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        software.delete_product(by=request.user, product=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@_crud_schema("licence entitlement", EntitlementSerializer, EntitlementInputSerializer)
class EntitlementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SoftwareViewSet):
    serializer_class = EntitlementSerializer
    queryset = Entitlement.objects.select_related("product")
    filterset_class = EntitlementFilter

    def create(self, request):
        entitlement = software.save_entitlement(by=request.user, **validated(EntitlementInputSerializer, request.data))
        return self.represent(entitlement, status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        entitlement = self.get_object()
        data = validated(EntitlementInputSerializer, request.data, partial=partial)
        current = {name: getattr(entitlement, name) for name in EntitlementInputSerializer().fields} if partial else {}
        entitlement = software.save_entitlement(by=request.user, entitlement=entitlement, **{**current, **data})
        return self.represent(entitlement)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        software.delete_entitlement(by=request.user, entitlement=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


BULK_DESCRIPTION = ("Each row is checked and written on its own: a bad row is reported in `rejections` with a "
                    "message per field and nothing of it is written; every other row is applied. A request that "
                    "is not a list of 1-{max} rows is refused whole (400).").format(max=recording.MAX_ROWS)


@extend_schema_view(
    list=extend_schema(summary="List installations", responses={200: InstallationSerializer(many=True), 400: ERROR,
                                                                **READ_ERRORS}),
)
class InstallationViewSet(mixins.ListModelMixin, SoftwareViewSet):
    serializer_class = InstallationSerializer
    queryset = Installation.objects.select_related("product", "asset", "user")
    filterset_class = InstallationFilter

    @extend_schema(
        summary="Record installations in bulk (upsert)",
        description="Rows: `vendor`, `product`, `asset` (asset tag, else serial number, else CI name) required; "
                    "`version`, `cores`, `user` (email), `last_seen` (ISO 8601 with offset). Matched on product "
                    "(vendor + name, added when unknown) and asset. " + BULK_DESCRIPTION,
        request=BulkInputSerializer, responses={200: BulkReportSerializer, **WRITE_ERRORS})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        data = validated(BulkInputSerializer, request.data)
        report = recording.upsert_installations(data["rows"], by=request.user, source=data["source"])
        return Response(BulkReportSerializer(report).data)


@extend_schema_view(
    list=extend_schema(summary="List patches", responses={200: PatchSerializer(many=True), 400: ERROR, **READ_ERRORS}),
    create=extend_schema(summary="Create a patch", description="A release date in the future is refused.",
                         request=PatchInputSerializer, responses={201: PatchSerializer, **WRITE_ERRORS}),
)
class PatchViewSet(mixins.ListModelMixin, SoftwareViewSet):
    serializer_class = PatchSerializer
    queryset = Patch.objects.all()
    filterset_class = PatchFilter

    def create(self, request):
        patch = software.create_patch(by=request.user, **validated(PatchInputSerializer, request.data))
        return self.represent(patch, status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List patch states", responses={200: PatchStateSerializer(many=True), 400: ERROR,
                                                               **READ_ERRORS}),
)
class PatchStateViewSet(mixins.ListModelMixin, SoftwareViewSet):
    serializer_class = PatchStateSerializer
    queryset = PatchState.objects.select_related("asset", "patch")
    filterset_class = PatchStateFilter

    @extend_schema(
        summary="Record patch states in bulk (upsert)",
        description="Rows: `patch_id`, `asset` (asset tag, else serial number, else CI name), `state` "
                    "(installed, missing) required; `installed_on` (not for a missing patch, not in the future, "
                    "not before the release); `product`, `severity`, `title`, `released_on` describe the patch "
                    "(required to add an unknown one). " + BULK_DESCRIPTION,
        request=BulkInputSerializer, responses={200: BulkReportSerializer, **WRITE_ERRORS})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        data = validated(BulkInputSerializer, request.data)
        report = recording.upsert_patch_states(data["rows"], by=request.user, source=data["source"])
        return Response(BulkReportSerializer(report).data)


# -- compliance reports ---------------------------------------------------------------------------

class ReportView(ApiViewMixin, APIView):
    permission_classes = [IsAuthenticated, AgentAccess]


PRODUCT = OpenApiParameter("product", int, required=False, description="Only this product (its id).")
SERVICE = OpenApiParameter("service", int, required=False, description="Only this business service (its CI id).")
ALL_SERVERS = OpenApiParameter("all_servers", bool, required=False,
                               description="`true`: list every unpatched server behind each service (one more "
                                           "upstream walk per service listed); default `false`: the nearest.")


class LicenceComplianceView(ReportView):
    @extend_schema(
        operation_id="assets_licence_compliance",
        summary="Licence compliance per product",
        description="Entitlements valid today against consumption by installations on devices in use, per basis "
                    "(users, devices, cores); the gap and its cost. The counting rules are in assets.licensing.",
        parameters=[PRODUCT], responses={200: ProductComplianceSerializer(many=True), 400: ERROR, **READ_ERRORS})
    def get(self, request):
        product = _whole_number(request, "product")
        products = SoftwareProduct.objects.all()
        if product is not None:
            products = products.filter(pk=product)
        return Response(ProductComplianceSerializer(licensing.compliance(products), many=True).data)


LIMIT = OpenApiParameter("limit", int, required=False,
                         description="How many assets, worst first: 1-1000 (default 200).")


class PatchComplianceView(ReportView):
    @extend_schema(operation_id="assets_patch_compliance", summary="Patch compliance, overall and per asset",
                   description="Overall figures for every asset in use with reported patch states, and the assets "
                               "worst first (most critical missing, then important missing).",
                   parameters=[LIMIT], responses={200: PatchComplianceSerializer, 400: ERROR, **READ_ERRORS})
    def get(self, request):
        limit = _whole_number(request, "limit")
        if limit is not None and not 1 <= limit <= 1000:
            raise ValidationError({"limit": ["Must be a whole number from 1 to 1000."]})
        assets = patching.per_asset(limit=limit or 200)
        return Response(PatchComplianceSerializer({"overall": patching.overall(), "assets": assets}).data)


class ServicePatchComplianceView(ReportView):
    @extend_schema(operation_id="assets_patch_compliance_services",
                   summary="Patch compliance per business service",
                   description="For each business service, the assets whose CIs it depends on (upstream impact "
                               "through the CMDB) and their patch states.",
                   parameters=[SERVICE], responses={200: ServiceComplianceSerializer(many=True), 400: ERROR,
                                                    **READ_ERRORS})
    def get(self, request):
        service = _whole_number(request, "service")
        services = patching.business_services()
        if service is not None:
            services = services.filter(pk=service)
        rows = [{"service": row.service, "counts": row.counts, "assets": row.assets}
                for row in patching.per_service(services)]
        return Response(ServiceComplianceSerializer(rows, many=True).data)


class ServicesAtRiskView(ReportView):
    @extend_schema(operation_id="assets_patch_compliance_at_risk",
                   summary="Business services on unpatched critical servers",
                   description="Business services behind a server (class Server or below) that misses at least "
                               "one critical-severity patch, each with the nearest such server, its missing "
                               "critical patches, whether it is rated critical in the CMDB, and the path.",
                   parameters=[ALL_SERVERS], responses={200: ServiceAtRiskSerializer(many=True), 400: ERROR,
                                                        **READ_ERRORS})
    def get(self, request):
        every = request.query_params.get("all_servers", "false")
        if every not in ("true", "false"):
            raise ValidationError({"all_servers": ["Must be true or false."]})
        at_risk = patching.services_on_unpatched_critical_servers()
        if every == "true" and at_risk:
            behind = patching.per_service([risk.service for risk in at_risk])
            at_risk = patching.services_on_unpatched_critical_servers(behind=behind)
        return Response(ServiceAtRiskSerializer(at_risk, many=True).data)
