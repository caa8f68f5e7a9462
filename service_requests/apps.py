from django.apps import AppConfig


class ServiceRequestsConfig(AppConfig):
    """The service catalogue and what an order becomes: requests (REQ) and requested items (RITM)."""

    name = "service_requests"
    # Not "requests": a top-level package of that name would shadow the HTTP library.
    verbose_name = "Service requests and catalogue"

    def ready(self):
        from service_requests import listeners  # noqa: F401  (subscribes the request's closing)
        from service_requests.ticket_type import REQUEST_TYPE, REQUESTED_ITEM_TYPE
        from tickets import guards, types

        types.register(REQUEST_TYPE)
        types.register(REQUESTED_ITEM_TYPE)
        guards.register("all_items_closed", listeners.all_items_closed)
