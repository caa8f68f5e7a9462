from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    """The one approval engine: chains of stages attached to any ticket of any registered type.

    A shared engine on the floor above ``tickets/`` and ``sla/`` (it counts reminder and timeout
    delays in business hours with ``sla.business_time``); service requests and changes use it unchanged.
    """

    name = "approvals"
    verbose_name = "Approvals"
