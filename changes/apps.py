from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """Change and release management: filled by its own issue; the app exists so its schema and URLs have a home."""

    name = "changes"
    verbose_name = "Change and release management"
