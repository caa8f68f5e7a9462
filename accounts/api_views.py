from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import api_schema  # noqa: F401  (registers the token auth scheme)
from accounts import ratelimit, services
from accounts.api_serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
    TokenLoginSerializer,
)
from accounts.models import ApiToken
from core.api.errors import ERROR, ErrorSerializer
from core.api.views import ApiViewMixin



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


class LoginRateLimited(exceptions.Throttled):
    default_code = "rate_limited"


RETRY_AFTER_HEADER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429],
    description="Seconds until this account and this client may try again.",
)


class TokenLoginView(ApiViewMixin, APIView):
    """Email + password for a token: how an integrator's script gets its first key."""

    authentication_classes = ()  # credentials are the body; a session or token is not needed
    permission_classes = (permissions.AllowAny,)

    @extend_schema(
        summary="Exchange an email and password for an API token",
        description="Unauthenticated. Creates a token for the user and returns its key, once. "
                    "Attempts are limited per account and per client address (the sign-in page's limit, "
                    "shared with it): over the limit the password is not checked and the answer is 429 "
                    "with `Retry-After`, even for the right password.",
        request=TokenLoginSerializer, auth=[], parameters=[RETRY_AFTER_HEADER],
        responses={
            201: ApiTokenCreatedSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Invalid input (code `invalid` or `unknown_field`)."),
            401: OpenApiResponse(ErrorSerializer, description="Wrong email or password, or a deactivated user "
                                                              "(code `invalid_credentials`)."),
            403: OpenApiResponse(ErrorSerializer, description="The organisation is suspended."),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts (code `rate_limited`)."),
        },
    )
    def post(self, request):
        serializer = TokenLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            user = ratelimit.authenticate(request._request, data["email"].strip().lower(), data["password"])
        except ratelimit.RateLimited as limited:
            raise LoginRateLimited(wait=limited.wait, detail="Too many attempts.") from None
        if user is None:
            raise exceptions.AuthenticationFailed("That email address and password do not match an account here.",
                                                  code="invalid_credentials")
        token, key = services.create_api_token(user=user, name=data.get("name", ""))
        token.key = key
        response = Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response

    def get_authenticate_header(self, request):
        return "Token"
