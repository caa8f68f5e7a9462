"""The catalogue, requests and requested items over the API; every order goes through ``submit_request``."""

import django_filters
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.models import User
from core.api.views import ApiViewMixin
from core.exceptions import NotPermitted, ValidationFailed
from service_requests import queries, services
from service_requests.api.serializers import (
    CatalogCategorySerializer,
    CatalogItemDetailSerializer,
    CatalogItemSerializer,
    OrderResponseSerializer,
    OrderSerializer,
    RequestedItemCreateSerializer,
    RequestedItemSerializer,
    RequestedItemUpdateSerializer,
    ServiceRequestCreateSerializer,
    ServiceRequestSerializer,
    ServiceRequestUpdateSerializer,
)
from service_requests.filters import RequestedItemFilter, ServiceRequestFilter
from service_requests.models import CatalogCategory, CatalogItem, RequestedItem, ServiceRequest
from tickets.api.base import ERROR, TicketViewSet

ROUTING = ("assignment_group", "assignee", "impact", "urgency", "category")


def _person(ref, field="requested_for"):
    if ref is None:
        return None
    if isinstance(ref, str) and "\x00" in ref:
        raise ValidationFailed("The request could not be submitted.",
                               fields={field: ["Give a user id or an email address."]})
    lookup = {"pk": ref} if isinstance(ref, int) else {"email__iexact": str(ref).strip()}
    person = User.objects.filter(is_active=True, **lookup).exclude(role=User.Role.OPERATOR).first()
    if person is None:
        raise ValidationFailed("The request could not be submitted.",
                               fields={field: ["No active person of this organisation has this id or email address."]})
    return person


def _order_fields(user, data: dict) -> dict:
    """The ticket fields of an order; only agents route (group, assignee, impact, urgency, category)."""
    given = [name for name in ROUTING if name in data]
    if given and not user.is_agent:
        raise NotPermitted(f"Only agents set {', '.join(given)} on a request.")
    fields = {name: data[name] for name in (*ROUTING, "title", "description") if name in data}
    return {**fields, "channel": data.get("channel", "api")}


def _single_line(exc: ValidationFailed) -> ValidationFailed:
    """A one-item order's errors without the line prefix: ``variables.<name>``, ``quantity``."""
    return ValidationFailed(exc.message, fields={name.removeprefix("items.0."): messages
                                                 for name, messages in exc.fields.items()})


class ServiceRequestViewSet(TicketViewSet):
    """Requests by number (REQ0001001): one order, holding its requested items (``/requested-items/?request=``)."""

    model = ServiceRequest
    serializer_class = ServiceRequestSerializer
    create_serializer_class = ServiceRequestCreateSerializer
    update_serializer_class = ServiceRequestUpdateSerializer
    filterset_class = ServiceRequestFilter

    def create_ticket(self, data):
        lines = [services.OrderLine(catalog_item=line["catalog_item"], quantity=line["quantity"],
                                    variables=line.get("variables", {})) for line in data["items"]]
        return services.submit_request(by=self.request.user, requested_for=_person(data.get("requested_for")),
                                       items=lines, **_order_fields(self.request.user, data))


class RequestedItemViewSet(TicketViewSet):
    """Requested items by number (RITM0001001): each catalogue item ordered, with its answers and its own workflow.

    `POST` orders one item as a request of its own (its REQ is in `request`)."""

    model = RequestedItem
    serializer_class = RequestedItemSerializer
    create_serializer_class = RequestedItemCreateSerializer
    update_serializer_class = RequestedItemUpdateSerializer
    filterset_class = RequestedItemFilter

    def create_ticket(self, data):
        line = services.OrderLine(catalog_item=data["catalog_item"], quantity=data["quantity"],
                                  variables=data.get("variables", {}))
        try:
            request = services.submit_request(by=self.request.user, requested_for=_person(data.get("requested_for")),
                                              items=[line], **_order_fields(self.request.user, data))
        except ValidationFailed as exc:
            raise _single_line(exc) from exc
        return request.created_items[0]


class CatalogItemFilter(django_filters.FilterSet):
    category = django_filters.NumberFilter(field_name="category_id", label="Category id")
    q = django_filters.CharFilter(method="filter_text", label="Search name and descriptions")

    class Meta:
        model = CatalogItem
        fields = []

    def filter_text(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(short_description__icontains=value)
                               | Q(description__icontains=value))


@extend_schema(tags=["catalog"])
class CatalogCategoryViewSet(ApiViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Catalogue categories that hold at least one item the caller may order."""

    serializer_class = CatalogCategorySerializer
    pagination_class = None
    queryset = CatalogCategory.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CatalogCategory.objects.none()
        return queries.categories_for(self.request.user)

    @extend_schema(summary="List catalogue categories", responses={200: CatalogCategorySerializer(many=True)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The catalogue item's id.")


@extend_schema(tags=["catalog"])
class CatalogItemViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """What the caller may order: active items of active categories, for everyone or the caller's groups or
    department. An item the caller may not order is a 404, like one that does not exist."""

    serializer_class = CatalogItemSerializer
    filterset_class = CatalogItemFilter
    pagination_class = None
    queryset = CatalogItem.objects.none()
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CatalogItem.objects.none()
        return queries.orderable_by(self.request.user)

    def get_item(self, pk) -> CatalogItem:
        item = queries.with_form(self.get_queryset()).filter(pk=int(pk)).first()
        if item is None:
            raise NotFound(f"No catalogue item {pk} that you may order.")
        return item

    def get_serializer_class(self):
        return {"retrieve": CatalogItemDetailSerializer, "order": OrderSerializer}.get(self.action, CatalogItemSerializer)

    @extend_schema(summary="List catalogue items", responses={200: CatalogItemSerializer(many=True), 400: ERROR})
    def list(self, request):
        items = self.filter_queryset(self.get_queryset())
        return Response(CatalogItemSerializer(items, many=True, context=self.get_serializer_context()).data)

    @extend_schema(summary="Get a catalogue item with its form",
                   description="`variables` are the form's definitions; `variables_schema` is the JSON Schema "
                               "(draft 2020-12) of the `variables` object an order sends.",
                   parameters=[ID_PARAMETER], responses={200: CatalogItemDetailSerializer, 404: ERROR})
    def retrieve(self, request, pk=None):
        item = self.get_item(pk)
        return Response(CatalogItemDetailSerializer(item, context=self.get_serializer_context()).data)

    @extend_schema(summary="Order a catalogue item",
                   description="Creates a request (REQ) holding one requested item (RITM). Errors name "
                               "`variables.<name>`, `quantity` and `requested_for`. Attachment variables cannot be "
                               "sent in JSON (400 naming the variable); order such items in the portal.",
                   parameters=[ID_PARAMETER], request=OrderSerializer,
                   responses={201: OrderResponseSerializer, 400: ERROR, 403: ERROR, 404: ERROR})
    @action(detail=True, methods=["post"], filterset_class=None, filter_backends=[])
    def order(self, request, pk=None):
        item = self.get_item(pk)
        serializer = OrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        line = services.OrderLine(catalog_item=item, quantity=data["quantity"], variables=data.get("variables", {}))
        try:
            made = services.submit_request(by=request.user, requested_for=_person(data.get("requested_for")),
                                           items=[line], channel="api")
        except ValidationFailed as exc:
            raise _single_line(exc) from exc
        context = self.get_serializer_context()
        body = {"request": ServiceRequestSerializer(made, context=context).data,
                "items": RequestedItemSerializer(made.created_items, many=True, context=context).data}
        return Response(body, status=status.HTTP_201_CREATED)
