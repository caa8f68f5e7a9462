from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    """Problem management: filled by its own issue; the app exists so its schema and URLs have a home."""

    name = "problems"
    verbose_name = "Problem management"
