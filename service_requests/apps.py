from django.apps import AppConfig


class ServiceRequestsConfig(AppConfig):
    """Service requests and catalogue: filled by its own issue; the app exists so its schema and URLs have a home."""

    name = "service_requests"
    # Not "requests": a top-level package of that name would shadow the HTTP library.
    verbose_name = "Service requests and catalogue"
