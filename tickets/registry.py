"""Which ticket types exist: every concrete model built on tickets.models.Ticket.

Lets code below the process apps (the MSP console's counts, later SLA and reports)
work across all ticket types without importing any process app.
"""

from django.apps import apps


def ticket_models() -> list:
    from tickets.models import Ticket

    return [model for model in apps.get_models() if issubclass(model, Ticket)]


def model_for_number(number: str):
    """The ticket type whose numbers look like ``number`` (its prefix, then digits only), or None."""
    number = (number or "").strip().upper()
    matches = [model for model in ticket_models()
               if model.NUMBER_PREFIX and number.startswith(model.NUMBER_PREFIX)
               and number[len(model.NUMBER_PREFIX):].isdigit()]
    # The longest prefix wins, should one prefix begin another's (TASK and TASKX).
    return max(matches, key=lambda model: len(model.NUMBER_PREFIX), default=None)


def ticket_for_number(number: str):
    """The ticket with this number in the current tenant's schema, of whichever type; None if none."""
    model = model_for_number(number)
    if model is None:
        return None
    return model._default_manager.filter(number=number.strip().upper()).first()
