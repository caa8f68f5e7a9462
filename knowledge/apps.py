from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    """Knowledge management: filled by its own issue; the app exists so its schema and URLs have a home."""

    name = "knowledge"
    verbose_name = "Knowledge management"
