from django.apps import AppConfig


class ApprovalsDueConfig(AppConfig):
    """The public index of approval work coming due (reminders, timeouts) across tenants, as sla.due is for clocks."""

    name = "approvals.due"
    label = "approvals_due"
    verbose_name = "Approval due work"
