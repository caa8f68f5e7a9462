from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api_views import ApiTokenViewSet, TokenLoginView

router = SimpleRouter()
router.register("tokens", ApiTokenViewSet, basename="api-token")

urlpatterns = [
    path("auth/token/", TokenLoginView.as_view(), name="api-token-login"),
    *router.urls,
]
