"""Cursor pagination for every API list: stable under inserts, no OFFSET, no COUNT; bad page sizes are refused."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    """Newest first by id: stable under inserts, and cheap on any page (no OFFSET, no COUNT)."""

    ordering = "-id"
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    page_size_query_description = f"Results per page, 1-{max_page_size} (default {page_size})."

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # DRF silently falls back to the default on bad input; we say what is wrong instead.
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [f"Must be a whole number from 1 to {self.max_page_size}."]})
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size, default=self.page_size)
        return parameters


class OldestFirstPagination(NewestFirstPagination):
    """Oldest first, as a conversation (a ticket's timeline) reads."""

    ordering = ("created_at", "id")
