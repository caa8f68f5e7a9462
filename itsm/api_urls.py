from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from tickets.api.my_work import MyWorkView

@csrf_exempt  # nothing is written here; without it a POST would get Django's HTML CSRF page, not JSON
def api_not_found(request, *args, **kwargs):
    """Unknown API paths answer in JSON like the rest of the API, not with an HTML page."""
    return JsonResponse({"detail": f"No API endpoint at {request.path}.", "code": "not_found", "fields": {}}, status=404)


urlpatterns = [
    path("v1/", include("incidents.api.urls")),
    path("v1/", include("problems.api.urls")),
    path("v1/", include("fulfilment.api.urls")),
    path("v1/", include("service_requests.api.urls")),
    path("v1/my-work/", MyWorkView.as_view(), name="my-work"),
    path("v1/", include("accounts.api_urls")),
    path("v1/sla/", include("sla.api.urls")),
    path("v1/", include("approvals.api.urls")),
    # Before assets.api.urls (same prefix): its "<id>/" would take "products/" for an asset id.
    path("v1/assets/", include("assets.api.urls_software")),
    path("v1/assets/", include("assets.api.urls")),
    path("v1/cmdb/", include("cmdb.api.urls")),
    path("v1/cmdb/", include("cmdb.api.urls_imports")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its bootstrap script as a separate file, so the strict CSP holds.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Any path at all, line breaks included (``.*`` would let "a\nb" fall through to the HTML 404).
    re_path(r"^[\s\S]*$", api_not_found),
]
