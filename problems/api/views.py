from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action

from core.api.pagination import NewestFirstPagination
from core.api.views import ApiViewMixin
from core.exceptions import NotPermitted
from problems import queries, services
from problems.api.serializers import (
    KnownErrorSerializer,
    ProblemCreateSerializer,
    ProblemSerializer,
    ProblemUpdateSerializer,
)
from problems.filters import KnownErrorFilter, ProblemFilter
from problems.models import Problem
from tickets.api.base import ERROR, NUMBER_PARAMETER, TicketViewSet
from tickets.api.preconditions import IF_MATCH_PARAMETER, expected_version


class ProblemViewSet(TicketViewSet):
    """Problems by number (PRB0001001): the desk's root-cause work; agents raise and work them."""

    model = Problem
    serializer_class = ProblemSerializer
    create_serializer_class = ProblemCreateSerializer
    update_serializer_class = ProblemUpdateSerializer
    filterset_class = ProblemFilter

    def create_ticket(self, data):
        self.require_agent("Only agents can raise problems.")
        return super().create_ticket(data)

    @extend_schema(
        summary="Publish the known error",
        description="Publishes the problem's workaround as a known error (400 without a workaround). "
                    "`DELETE` retires it.",
        parameters=[NUMBER_PARAMETER, IF_MATCH_PARAMETER],
        request=None,
        responses={200: ProblemSerializer, 400: ERROR, 403: ERROR, 404: ERROR, 412: ERROR},
    )
    @action(detail=True, methods=["post"], url_path="known-error", filterset_class=None, filter_backends=[])
    def known_error(self, request, number=None):
        self.require_agent("Only agents can publish known errors.")
        problem = self.get_ticket()
        problem = services.publish_known_error(problem, by=request.user,
                                               expected_version=expected_version(request, problem))
        return self.ticket_response(self.detail_queryset().get(pk=problem.pk))

    @extend_schema(
        summary="Retire the known error",
        parameters=[NUMBER_PARAMETER, IF_MATCH_PARAMETER],
        request=None,
        responses={200: ProblemSerializer, 400: ERROR, 403: ERROR, 404: ERROR, 412: ERROR},
    )
    @known_error.mapping.delete
    def retire_known_error(self, request, number=None):
        self.require_agent("Only agents can retire known errors.")
        problem = self.get_ticket()
        problem = services.retire_known_error(problem, by=request.user,
                                              expected_version=expected_version(request, problem))
        return self.ticket_response(self.detail_queryset().get(pk=problem.pk))


@extend_schema(tags=["known-errors"])
class KnownErrorViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Published known errors (agents only), newest first; ``q`` searches symptom, root cause and workaround."""

    serializer_class = KnownErrorSerializer
    filterset_class = KnownErrorFilter
    pagination_class = NewestFirstPagination
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z0-9]+"
    queryset = Problem.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Problem.objects.none()
        if not self.request.user.is_agent:
            raise NotPermitted("Known errors are for the service desk team.")
        return queries.known_errors()

    def get_object(self):
        self.kwargs[self.lookup_field] = self.kwargs[self.lookup_field].upper()
        return super().get_object()
