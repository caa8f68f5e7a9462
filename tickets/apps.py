from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Shared ticket core"

    def ready(self):
        # Core listeners (notifications) subscribe to ticket events.
        from tickets import notifications  # noqa: F401
