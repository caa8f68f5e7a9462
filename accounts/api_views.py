from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from accounts import api_schema  # noqa: F401  (registers the token auth scheme)
from accounts import services
from accounts.api_serializers import ApiTokenCreatedSerializer, ApiTokenCreateSerializer, ApiTokenSerializer
from accounts.models import ApiToken
from tickets.api.errors import ErrorSerializer
from tickets.api.views import ApiViewMixin

ERROR = OpenApiResponse(ErrorSerializer)


@extend_schema_view(
    list=extend_schema(summary="List your active API tokens", responses={200: ApiTokenSerializer(many=True)}),
    create=extend_schema(summary="Create an API token",
                         description="The response carries the key, once; only a hash is stored.",
                         request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer, 400: ERROR}),
    destroy=extend_schema(summary="Revoke one of your API tokens",
                          responses={204: OpenApiResponse(description="Revoked."), 404: ERROR}),
)
class ApiTokenViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                      viewsets.GenericViewSet):
    """The caller's own tokens; anyone else's are not found."""

    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.none()
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user, revoked_at__isnull=True)

    def create(self, request):
        serializer = ApiTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = services.create_api_token(user=request.user, name=serializer.validated_data.get("name", ""))
        token.key = key
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.revoke_api_token(token=instance)
