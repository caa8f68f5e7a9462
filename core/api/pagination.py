"""Pagination for every API list; bad page sizes and page numbers are refused with 400, never ignored.

Cursor pagination (stable under inserts, no OFFSET, no COUNT) for lists of one table; numbered
pages for lists that are a UNION over several (``NumberedPagination``: "My work").
"""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


class StrictPageSize:
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


class NewestFirstPagination(StrictPageSize, CursorPagination):
    """Newest first by id: stable under inserts, and cheap on any page (no OFFSET, no COUNT)."""

    ordering = "-id"


class NumberedPagination(StrictPageSize, PageNumberPagination):
    """Pages 1, 2, ... with a count; a page that is not a whole number from 1 is refused, one past the end is 404."""

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not (raw.isdigit() and int(raw) >= 1):
            raise ValidationError({self.page_query_param: ["Must be a whole number from 1."]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1)
        return parameters


class OldestFirstPagination(NewestFirstPagination):
    """Oldest first, as a conversation (a ticket's timeline) reads."""

    ordering = ("created_at", "id")
