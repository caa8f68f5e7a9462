"""/api/v1/assets/ (assets, their lifecycle actions and CI link) and /api/v1/assets/contracts/. Agents only.

Every write goes through ``assets.services``, ``assets.ci_sync`` or ``assets.contracts``. An asset's
version is its ETag; a write guarded by a stale ``If-Match`` or a stale ``version`` in the body is
refused with 412 and nothing changes (``tickets.api.preconditions`` reads the header, as for tickets).
"""

from __future__ import annotations

from types import SimpleNamespace

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from assets import ci_sync, contracts, queries, services
from assets.api.serializers import (
    AssetCreateSerializer,
    AssetSerializer,
    AssetUpdateSerializer,
    ContractInputSerializer,
    ContractSerializer,
    LinkCIInputSerializer,
    TransitionInputSerializer,
)
from assets.filters import AssetFilter, ContractFilter
from assets.models import Asset
from core.api.errors import ERROR, READ_ERRORS, ErrorSerializer
from core.api.pagination import NewestFirstPagination
from core.api.views import ApiViewMixin
from tickets.api.preconditions import IF_MATCH_PARAMETER, expected_version

WRITE = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR}
STALE = {412: OpenApiResponse(ErrorSerializer, description="`version` is not the asset's current one: nothing changed.")}


class AgentsOnly(BasePermission):
    message = "Asset management is for the service desk team."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_agent)


def validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class AssetsApiViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, AgentsOnly]
    pagination_class = NewestFirstPagination
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def represent(self, instance, status_code=status.HTTP_200_OK):
        response = Response(self.get_serializer(self.get_queryset().get(pk=instance.pk)).data, status=status_code)
        if isinstance(instance, Asset):
            response["ETag"] = f'"{response.data["version"]}"'
        return response


def _version(request, asset: Asset, body_version: int | None) -> int | None:
    """The version a write must find: the body's ``version``, else ``If-Match`` (412 early when stale)."""
    from_header = expected_version(request, SimpleNamespace(number=asset.asset_tag, version=asset.version))
    return body_version if body_version is not None else from_header


@extend_schema_view(
    list=extend_schema(summary="List assets", responses={200: AssetSerializer(many=True), 400: ERROR, **READ_ERRORS}),
    retrieve=extend_schema(summary="An asset, with its value today and its CI",
                           description='The ETag is the asset\'s version (e.g. `"3"`); send it as If-Match to guard a '
                                       "write.",
                           responses={200: AssetSerializer, 404: ERROR, **READ_ERRORS}),
    create=extend_schema(summary="Create an asset", request=AssetCreateSerializer,
                         description="The tag is generated (AST-000123) unless given; serial numbers and tags are "
                                     "unique; the salvage value is at most the cost.",
                         responses={201: AssetSerializer, **WRITE}),
    partial_update=extend_schema(
        summary="Change some of an asset's fields",
        description="Name, serial number and assigned user are written to the asset's CI in the same transaction; "
                    "a refusal there (another CI has the serial) changes nothing.",
        parameters=[IF_MATCH_PARAMETER], request=AssetUpdateSerializer,
        responses={200: AssetSerializer, **WRITE, **STALE}),
)
class AssetViewSet(AssetsApiViewSet):
    serializer_class = AssetSerializer
    filterset_class = AssetFilter
    queryset = queries.assets()

    def get_queryset(self):
        return queries.assets()

    def retrieve(self, request, pk=None):
        response = super().retrieve(request, pk=pk)
        response["ETag"] = f'"{response.data["version"]}"'
        return response

    def create(self, request):
        asset = services.create_asset(by=request.user, source="api", **validated(AssetCreateSerializer, request.data))
        return self.represent(asset, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        asset = self.get_object()
        data = validated(AssetUpdateSerializer, request.data, partial=True)
        asset, _ = services.update_asset(asset, by=request.user, source="api",
                                         version=_version(request, asset, data.pop("version", None)), **data)
        return self.represent(asset)

    @extend_schema(
        summary="Move an asset along its lifecycle",
        description="Actions: receive (ordered -> in stock), deploy (in stock or in repair -> deployed; needs an "
                    "assigned user or a location), send_to_repair, return_to_stock (clears the assigned user), "
                    "retire (keeps holder and location, recorded), dispose (final). The asset's `actions` lists "
                    "what is possible now.",
        parameters=[IF_MATCH_PARAMETER], request=TransitionInputSerializer,
        responses={200: AssetSerializer, **WRITE, **STALE,
                   409: OpenApiResponse(ErrorSerializer, description="Not possible from the asset's lifecycle.")},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        asset = self.get_object()
        data = validated(TransitionInputSerializer, request.data)
        asset = services.transition(asset, data.pop("action"), by=request.user, source="api",
                                    version=_version(request, asset, data.pop("version", None)), **data)
        return self.represent(asset)

    @extend_schema(
        summary="Link the asset to its CI: an existing one (`ci`), or a new one created from the asset (`ci_class`)",
        parameters=[IF_MATCH_PARAMETER], request=LinkCIInputSerializer,
        responses={200: AssetSerializer, **WRITE, **STALE},
        methods=["POST"],
    )
    @extend_schema(summary="Unlink the asset from its CI (the CI stays)", responses={200: AssetSerializer, **WRITE},
                   methods=["DELETE"])
    @action(detail=True, methods=["post", "delete"])
    def ci(self, request, pk=None):
        asset = self.get_object()
        if request.method == "DELETE":
            return self.represent(ci_sync.unlink_ci(asset, by=request.user, source="api"))
        data = validated(LinkCIInputSerializer, request.data)
        version = _version(request, asset, data.get("version"))
        if "ci" in data:
            asset = ci_sync.link_ci(asset, data["ci"], by=request.user, source="api", version=version)
        else:
            asset = ci_sync.create_ci_for(asset, by=request.user, ci_class=data.get("ci_class"), source="api",
                                          version=version)
        return self.represent(asset)


@extend_schema_view(
    list=extend_schema(summary="List contracts, ending soonest first",
                       responses={200: ContractSerializer(many=True), 400: ERROR, **READ_ERRORS}),
    retrieve=extend_schema(summary="A contract with the assets it covers",
                           responses={200: ContractSerializer, 404: ERROR, **READ_ERRORS}),
    create=extend_schema(summary="Create a support, lease or warranty contract", request=ContractInputSerializer,
                         description="Refused: an end before the start, a number the vendor already has, unknown "
                                     "assets, or an asset already covered by the same vendor's contract of the same "
                                     "kind in an overlapping period.",
                         responses={201: ContractSerializer, **WRITE}),
    partial_update=extend_schema(summary="Change some of a contract's fields",
                                 description="`assets` replaces the whole set. A new end date re-arms the renewal "
                                             "reminder.",
                                 request=ContractInputSerializer, responses={200: ContractSerializer, **WRITE}),
)
class ContractViewSet(AssetsApiViewSet):
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    queryset = queries.contract_detail()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return queries.contract_detail().order_by("-id")

    def create(self, request):
        contract = contracts.create_contract(by=request.user, **validated(ContractInputSerializer, request.data))
        return self.represent(contract, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        contract = self.get_object()
        data = validated(ContractInputSerializer, request.data, partial=True)
        return self.represent(contracts.update_contract(contract, by=request.user, **data))
