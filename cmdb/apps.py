from django.apps import AppConfig


class CmdbConfig(AppConfig):
    """Configuration management (CMDB): filled by its own issue; the app exists so its schema and URLs have a home."""

    name = "cmdb"
    verbose_name = "Configuration management (CMDB)"
