from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    """Fulfilment tasks (TASK): a registered ticket type that is the child of any ticket.

    A shared engine on the floor above ``tickets/``: service requests generate tasks on approval,
    changes will plan their change tasks with the same type.
    """

    name = "fulfilment"
    verbose_name = "Fulfilment tasks"
