from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Shared ticket core"

    def ready(self):
        # Core listeners (notifications) subscribe to ticket events.
        from tickets import notifications  # noqa: F401
        # The number-sequence check (tickets.E001), run by `check --database` and before migrate.
        from tickets import checks  # noqa: F401
