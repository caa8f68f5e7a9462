from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Ground floor (errors, API and form machinery, shared UI)"
