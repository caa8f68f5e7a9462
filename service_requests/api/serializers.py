"""Request, requested-item and catalogue API shapes. Ids in input resolve only inside the tenant's schema."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import AssignmentGroup, User
from core.api.strict import StrictInputMixin
from service_requests.models import CatalogCategory, CatalogItem, CatalogVariable, RequestedItem, ServiceRequest
from service_requests.services import MAX_QUANTITY
from tickets.api.serializers import RefField, TicketInputSerializer, TicketSerializer
from tickets.models import Category, Channel, Impact, Urgency


class RequestRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)


class CatalogItemRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


@extend_schema_field(RequestRefSerializer)
class RequestRefField(RefField):
    row_columns = ("number",)

    @staticmethod
    def row_name(pk, columns: dict) -> dict:
        return {"id": pk, "number": columns["number"]}


@extend_schema_field(CatalogItemRefSerializer)
class CatalogItemRefField(RefField):
    pass


class ServiceRequestSerializer(TicketSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="servicerequest-detail", lookup_field="number")

    class Meta:
        model = ServiceRequest
        fields = (*TicketSerializer.COMMON_FIELDS, "cancel_reason")
        read_only_fields = fields


class RequestedItemSerializer(TicketSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="requesteditem-detail", lookup_field="number")
    request = RequestRefField()
    catalog_item = CatalogItemRefField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, allow_null=True,
                                          help_text="The item's price when it was ordered, as a decimal string.")
    variables = serializers.JSONField(read_only=True, help_text="The answers to the item's form: {name: value}; "
                                                                 "an attachment as {filename, sha256}.")

    class Meta:
        model = RequestedItem
        fields = (*TicketSerializer.COMMON_FIELDS, "request", "catalog_item", "quantity", "unit_price", "cost_centre",
                  "variables", "rejection_reason", "cancel_reason")
        read_only_fields = fields


class OrderLineSerializer(StrictInputMixin, serializers.Serializer):
    catalog_item = serializers.PrimaryKeyRelatedField(queryset=CatalogItem.objects.select_related("category"),
                                                      help_text="The catalogue item's id.")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)
    variables = serializers.DictField(child=serializers.JSONField(), required=False, default=dict,
                                      help_text="Answers by variable name, as the item's `variables_schema` says. "
                                                "Attachment variables are not accepted in JSON.")


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "format": "email"}]})
class PersonRefField(serializers.Field):
    """A person of the tenant by id or email address (resolved by the view)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            raise serializers.ValidationError("Give a user id or an email address.")
        return data


class _RequestFields(serializers.Serializer):
    """The ticket fields of an order an agent may set."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                  help_text="Default: the item's name, or the names of the items.")
    description = serializers.CharField(required=False, allow_blank=True, help_text="Markdown.")
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(is_active=True), required=False,
                                                  allow_null=True)
    assignment_group = serializers.PrimaryKeyRelatedField(queryset=AssignmentGroup.objects.filter(is_active=True),
                                                          required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True,
                                                  help_text="Agent id; must be in the group if one is set.")
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)


class ServiceRequestCreateSerializer(StrictInputMixin, _RequestFields):
    """Several catalogue items in one order (the same checks as the portal)."""

    requested_for = PersonRefField(required=False, help_text="Who the order is for (id or email; default: the caller).")
    items = OrderLineSerializer(many=True, help_text="One line per catalogue item.")

    def validate_items(self, value):
        if not value:
            raise serializers.ValidationError("Order at least one item.")
        return value


class RequestedItemCreateSerializer(StrictInputMixin, _RequestFields):
    """One catalogue item, as a request of its own."""

    requested_for = PersonRefField(required=False, help_text="Who the order is for (id or email; default: the caller).")
    catalog_item = serializers.PrimaryKeyRelatedField(queryset=CatalogItem.objects.select_related("category"))
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)
    variables = serializers.DictField(child=serializers.JSONField(), required=False, default=dict)


class OrderSerializer(StrictInputMixin, serializers.Serializer):
    """``POST /catalog/items/{id}/order/``."""

    requested_for = PersonRefField(required=False, help_text="Who the order is for (id or email; default: the caller).")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)
    variables = serializers.DictField(child=serializers.JSONField(), required=False, default=dict,
                                      help_text="Answers by variable name (see the item's `variables_schema`). "
                                                "Attachment variables are refused in JSON: order those in the portal.")


class ServiceRequestUpdateSerializer(TicketInputSerializer):
    unknown_field_message = "Unknown or read-only field (state-related fields change only through actions)."

    class Meta:
        model = ServiceRequest
        fields = ("title", "description", "impact", "urgency", "category", "assignment_group", "assignee", "channel")


class RequestedItemUpdateSerializer(ServiceRequestUpdateSerializer):
    class Meta:
        model = RequestedItem
        fields = ServiceRequestUpdateSerializer.Meta.fields


class OrderResponseSerializer(serializers.Serializer):
    request = ServiceRequestSerializer()
    items = RequestedItemSerializer(many=True)


# -- the catalogue -------------------------------------------------------------------------------------

class CatalogCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = CatalogCategory
        fields = ("id", "name", "description", "icon", "order")
        read_only_fields = fields


class CatalogVariableSerializer(serializers.ModelSerializer):
    default = serializers.JSONField(read_only=True, allow_null=True)
    choices = serializers.JSONField(read_only=True, help_text="[[value, label], ...]")
    show_when = serializers.JSONField(read_only=True, help_text='[{"variable", "op", "value"}]: all must hold.')

    class Meta:
        model = CatalogVariable
        fields = ("name", "type", "label", "required", "help_text", "default", "choices", "regex", "min_value",
                  "max_value", "min_length", "max_length", "show_when", "order")
        read_only_fields = fields


class CatalogItemSerializer(serializers.ModelSerializer):
    category = CatalogCategorySerializer(read_only=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = CatalogItem
        fields = ("id", "name", "icon", "category", "short_description", "description", "description_html", "price",
                  "cost_centre", "delivery_target_hours")
        read_only_fields = fields


class CatalogItemDetailSerializer(CatalogItemSerializer):
    variables = CatalogVariableSerializer(many=True, read_only=True)
    variables_schema = serializers.SerializerMethodField()

    class Meta(CatalogItemSerializer.Meta):
        fields = (*CatalogItemSerializer.Meta.fields, "variables", "variables_schema")
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_variables_schema(self, item) -> dict:
        return item.variables_schema()
