from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "Service level management"

    def ready(self):
        # Clocks follow ticket events inside the ticket's own transaction.
        from sla import listeners  # noqa: F401
