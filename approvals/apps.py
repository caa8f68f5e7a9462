from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    """The one approval engine: chains of stages attached to any ticket of any registered type.

    A shared engine on the floor above ``tickets/`` and ``sla/`` (it counts reminder and timeout
    delays in business hours with ``sla.business_time``); service requests and changes use it unchanged.
    """

    name = "approvals"
    verbose_name = "Approvals"

    def ready(self):
        from approvals import listeners  # noqa: F401  (the requester's reply answers an approver's question)
        from approvals.extension import ApprovalsExtension
        from approvals.guard import approved
        from tickets import extensions, guards

        guards.register("approved", approved)
        from approvals import portal

        portal.register()
        # The approval card on the ticket pages of every type that opts in (extensions=("approvals",)).
        extensions.register(ApprovalsExtension())
