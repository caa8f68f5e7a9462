from django.apps import AppConfig


class SlaConfig(AppConfig):
    """Service level management: filled by its own issue; the app exists so its schema and URLs have a home."""

    name = "sla"
    verbose_name = "Service level management"
