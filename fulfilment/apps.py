from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    """Fulfilment tasks (TASK): a registered ticket type that is the child of any ticket.

    A shared engine on the floor above ``tickets/``: service requests generate tasks on approval,
    changes will plan their change tasks with the same type.
    """

    name = "fulfilment"
    verbose_name = "Fulfilment tasks"

    def ready(self):
        from fulfilment import links, sequencing  # noqa: F401 (links registers the "task of" kind)
        from fulfilment.extension import TasksExtension
        from fulfilment.ticket_type import TASK_TYPE
        from tickets import extensions, types

        types.register(TASK_TYPE)
        # The tasks card on the pages of the types that opt in (service request items, changes).
        extensions.register(TasksExtension())
        sequencing.register()
