"""``GET /api/v1/my-work/``: the agent's open work across every registered ticket type."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from core.api.errors import ErrorSerializer
from core.api.pagination import NumberedPagination
from core.api.views import ApiViewMixin
from core.exceptions import NotPermitted
from tickets.my_work import counts, group_ids_of, my_work


class WorkRowSerializer(serializers.Serializer):
    type = serializers.CharField(source="ticket_type.slug", help_text="The ticket type's slug, e.g. incidents.")
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    priority = serializers.IntegerField()
    deadline = serializers.DateTimeField(allow_null=True, help_text="The next SLA deadline, if a clock runs.")
    opened_at = serializers.DateTimeField()
    assigned_to_me = serializers.BooleanField(source="is_mine")


class WorkCountSerializer(serializers.Serializer):
    type = serializers.CharField(source="ticket_type.slug")
    mine = serializers.IntegerField()
    unassigned = serializers.IntegerField()
    total = serializers.IntegerField()


class MyWorkPagination(NumberedPagination):
    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["counts"] = WorkCountSerializer(counts(self.request.user, self.group_ids), many=True).data
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["counts"] = {"type": "array", "description": "Open work per ticket type.", "items": {
            "type": "object", "required": ["type", "mine", "unassigned", "total"],
            "properties": {"type": {"type": "string"}, "mine": {"type": "integer"},
                           "unassigned": {"type": "integer"}, "total": {"type": "integer"}}}}
        schema["required"] = [*schema.get("required", []), "counts"]
        return schema


class MyWorkView(ApiViewMixin, APIView):
    """Open tickets of every type assigned to the caller or unassigned in the caller's groups (agents only)."""

    pagination_class = MyWorkPagination

    @extend_schema(summary="My work", responses={200: WorkRowSerializer(many=True), 400: ErrorSerializer, 403: ErrorSerializer,
                              404: ErrorSerializer},
                   operation_id="my_work_list", tags=["my-work"])
    def get(self, request):
        if not request.user.is_agent:
            raise NotPermitted("My work is for the service desk team.")
        paginator = self.pagination_class()
        paginator.group_ids = group_ids_of(request.user)
        page = paginator.paginate_queryset(my_work(request.user, paginator.group_ids), request, view=self)
        return paginator.get_paginated_response(WorkRowSerializer(page, many=True).data)
