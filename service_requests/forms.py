"""The desk's fields of a request and a requested item (tickets.forms.TicketFieldsForm)."""

from django import forms

from service_requests.models import CatalogItem, RequestedItem, ServiceRequest
from service_requests.services import MAX_QUANTITY
from tickets.forms import TicketFieldsForm


class _OrderFieldsMixin:
    """On the create page only: which catalogue item, how many (its form's answers come from the portal or
    the API; an item whose form has required variables is refused here with their names)."""

    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, ticket=ticket, **kwargs)
        if ticket is None:
            self.fields["catalog_item"] = forms.ModelChoiceField(
                queryset=CatalogItem.objects.filter(is_active=True, category__is_active=True)
                .select_related("category"), label="Catalogue item", empty_label="Choose an item…")
            self.fields["quantity"] = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY, initial=1)
        self.fields["title"].required = False
        self.fields["title"].help_text = "Default: the catalogue item's name."


class ServiceRequestFieldsForm(_OrderFieldsMixin, TicketFieldsForm):
    model = ServiceRequest
    EXTRA_FIELDS = ("catalog_item", "quantity")


class RequestedItemFieldsForm(_OrderFieldsMixin, TicketFieldsForm):
    model = RequestedItem
    EXTRA_FIELDS = ("catalog_item", "quantity")
