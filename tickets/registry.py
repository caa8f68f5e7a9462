"""Which ticket types exist: every concrete model built on tickets.models.Ticket.

Lets code below the process apps (the MSP console's counts, later SLA and reports)
work across all ticket types without importing any process app.
"""

from django.apps import apps


def ticket_models() -> list:
    from tickets.models import Ticket

    return [model for model in apps.get_models() if issubclass(model, Ticket)]
