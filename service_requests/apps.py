from django.apps import AppConfig


class ServiceRequestsConfig(AppConfig):
    """The service catalogue and what an order becomes: requests (REQ) and requested items (RITM)."""

    name = "service_requests"
    # Not "requests": a top-level package of that name would shadow the HTTP library.
    verbose_name = "Service requests and catalogue"

    def ready(self):
        from approvals import subjects
        from service_requests import approval_subject, lifecycle, listeners  # noqa: F401  (they subscribe)
        from service_requests import portal
        from service_requests.models import RequestedItem
        from service_requests.ticket_type import REQUEST_TYPE, REQUESTED_ITEM_TYPE
        from sla import targets
        from tickets import guards, types

        types.register(REQUEST_TYPE)
        types.register(REQUESTED_ITEM_TYPE)
        guards.register("all_items_closed", listeners.all_items_closed)
        subjects.register(RequestedItem, facts=approval_subject.facts, summary=approval_subject.summary)
        targets.register(RequestedItem._meta.label_lower, approval_subject.delivery_seconds)
        portal.register()
