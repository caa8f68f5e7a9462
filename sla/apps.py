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

        # Creates match policies from a per-process cache; any change gives the tenant a new version.
        from sla.models import Calendar, EscalationRule, Holiday, Policy, Target, WorkingHours
        from tenants import config_cache

        config_cache.watch(Policy, Target, Calendar, WorkingHours, Holiday, EscalationRule)
