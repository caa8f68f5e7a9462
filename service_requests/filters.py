"""The request and requested-item filtersets: the shared ticket filters plus the catalogue's own."""

import django_filters

from service_requests.models import RequestedItem, ServiceRequest
from tickets.filters import TicketFilterSet


class ServiceRequestFilter(TicketFilterSet):
    class Meta:
        model = ServiceRequest
        fields = []


class RequestedItemFilter(TicketFilterSet):
    catalog_item = django_filters.NumberFilter(field_name="catalog_item_id", label="Catalogue item id")
    request = django_filters.CharFilter(method="filter_request", label="Request number (REQ…)")

    class Meta:
        model = RequestedItem
        fields = []

    def filter_request(self, queryset, name, value):
        value = (value or "").strip().upper()
        return queryset.filter(request__number=value) if value else queryset
