from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Shared ticket core"

    def ready(self):
        # Core listeners (notifications) subscribe to ticket events.
        from tenants.queries import add_open_ticket_source
        from tickets import lookups, notifications  # noqa: F401
        from tickets.registry import ticket_models

        # The MSP console (tenants, a floor below) counts open tickets of every registered type.
        add_open_ticket_source("tickets", lambda: [(model._meta.db_table, sorted(model.workflow.open_states))
                                                   for model in ticket_models()])
        # The number-sequence check (tickets.E001), run by `check --database` and before migrate.
        from tickets import checks  # noqa: F401

        # Creates read the priority matrix from a per-process cache; a change gives the tenant a new version.
        from tenants import config_cache
        from tickets.models import PriorityMatrixEntry

        config_cache.watch(PriorityMatrixEntry)
