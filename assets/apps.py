from django.apps import AppConfig


class AssetsConfig(AppConfig):
    """IT asset management: filled by its own issue; the app exists so its schema and URLs have a home."""

    name = "assets"
    verbose_name = "IT asset management"
