from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "Service level management"

    def ready(self):
        # Clocks follow ticket events inside the ticket's own transaction.
        from sla import listeners  # noqa: F401
        from sla.extension import SlaExtension
        from tickets import extensions

        # Queue column, sort and filter, detail badges and panel for every type that opts in.
        extensions.register(SlaExtension())
