"""The desk's fields of a request and a requested item (tickets.forms.TicketFieldsForm)."""

from django import forms

from service_requests.models import CatalogItem, RequestedItem, ServiceRequest
from service_requests.services import MAX_QUANTITY
from tickets.forms import TicketFieldsForm


class _OrderFieldsForm(TicketFieldsForm):
    """On the create page only: which catalogue item and how many. The answers to the item's form come
    from the portal or the API; an item whose form has required variables is refused here, naming them."""

    catalog_item = forms.ModelChoiceField(queryset=CatalogItem.objects.none(), label="Catalogue item",
                                          empty_label="Choose an item…")
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY, initial=1)
    EXTRA_FIELDS = ("catalog_item", "quantity")
    ALIASES = {"requested_for": "requester"}

    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, ticket=ticket, **kwargs)
        if ticket is None:
            self.fields["catalog_item"].queryset = (CatalogItem.objects.filter(is_active=True, category__is_active=True)
                                                    .select_related("category"))
        else:  # the order is what it is: the edit panel changes the ticket's own fields only
            del self.fields["catalog_item"], self.fields["quantity"]


class ServiceRequestFieldsForm(_OrderFieldsForm):
    model = ServiceRequest


class RequestedItemFieldsForm(_OrderFieldsForm):
    model = RequestedItem
