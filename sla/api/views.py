"""SLA endpoints under /api/v1/sla/: calendars (with what-if calculators), policies, clocks, compliance.

Agents read and use the calculators; tenant admins change configuration (every write goes
through ``sla.configuration``). Requesters get 403: SLA internals are not theirs to see.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import ERROR, READ_ERRORS, WRITE_ERRORS
from core.api.pagination import NewestFirstPagination
from core.api.views import ApiViewMixin
from sla import configuration, metrics
from sla.api.serializers import (
    AddBusinessTimeInputSerializer,
    AddBusinessTimeResultSerializer,
    BusinessTimeBetweenInputSerializer,
    BusinessTimeBetweenResultSerializer,
    CalendarInputSerializer,
    CalendarSerializer,
    ClockSerializer,
    ComplianceQuerySerializer,
    ComplianceReportSerializer,
    ImportHolidaysInputSerializer,
    ImportHolidaysResultSerializer,
    PolicyInputSerializer,
    PolicyRemovalSerializer,
    PolicySerializer,
    utc_iso,
)
from sla.formatting import format_duration
from sla.models import Calendar, Clock, EscalationRule, Metric, Policy
from tickets.filters import InstantFilter
from tickets.registry import ticket_models



class SlaAccess(BasePermission):
    """Agents read and run what-if calculations; only tenant admins write."""

    def has_permission(self, request, view):
        user = request.user
        if not user.is_authenticated:
            return False
        if not user.is_agent:
            self.message = "SLA configuration and clocks are for the service desk team."
            return False
        if request.method in SAFE_METHODS or getattr(view, "action", None) in getattr(view, "agent_actions", ()):
            return True
        self.message = "Only tenant admins can change SLA configuration."
        return user.is_tenant_admin


def validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class SlaViewSet(ApiViewMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, SlaAccess]
    agent_actions: tuple[str, ...] = ()
    pagination_class = None
    filter_backends = []

    def represent(self, instance, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)


# -- calendars -----------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="List calendars", responses={200: CalendarSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(summary="Get a calendar", responses={200: CalendarSerializer, 404: ERROR, **READ_ERRORS}),
    create=extend_schema(summary="Create a calendar (tenant admins)", request=CalendarInputSerializer,
                         responses={201: CalendarSerializer, **WRITE_ERRORS}),
    update=extend_schema(summary="Replace a calendar (tenant admins)", request=CalendarInputSerializer,
                         responses={200: CalendarSerializer, 404: ERROR, **WRITE_ERRORS}),
    partial_update=extend_schema(summary="Change some of a calendar's fields (tenant admins)",
                                 request=CalendarInputSerializer, responses={200: CalendarSerializer, 404: ERROR,
                                                                             **WRITE_ERRORS}),
    destroy=extend_schema(summary="Delete a calendar (tenant admins)",
                          description="Refused for the built-in 24x7 calendar and for calendars in use.",
                          responses={204: OpenApiResponse(description="Deleted."), 404: ERROR, **WRITE_ERRORS}),
)
class CalendarViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SlaViewSet):
    serializer_class = CalendarSerializer
    queryset = Calendar.objects.prefetch_related("hours", "holidays")
    agent_actions = ("add_business_time", "business_time_between")

    def create(self, request):
        data = CalendarInputSerializer.service_arguments(validated(CalendarInputSerializer, request.data))
        calendar = configuration.save_calendar(by=request.user, **data)
        return self.represent(calendar, status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        calendar = self.get_object()
        data = validated(CalendarInputSerializer, request.data, partial=partial)
        current = configuration.calendar_fields(calendar)
        current["holidays"] = None  # kept unless given
        if not partial:
            current["description"] = ""
        arguments = {**current, **CalendarInputSerializer.service_arguments(data)}
        calendar = configuration.save_calendar(by=request.user, calendar=calendar, **arguments)
        return self.represent(calendar)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        configuration.delete_calendar(by=request.user, calendar=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="What if: add business time",
        description="When a target of `duration` business time, started at `start`, falls due on this calendar. "
                    "Example: Mon-Fri 09:00-17:00 Europe/Berlin, start Friday 16:30 local + PT4H = Monday 12:30 local.",
        request=AddBusinessTimeInputSerializer,
        responses={200: AddBusinessTimeResultSerializer, 400: ERROR, 404: ERROR, **READ_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="add-business-time", url_name="add-business-time")
    def add_business_time(self, request, pk=None):
        calendar = self.get_object()
        data = validated(AddBusinessTimeInputSerializer, request.data)
        due = configuration.due_after(calendar=calendar, start=data["start"], seconds=data["duration"])
        result = {"start": utc_iso(data["start"]), "duration_seconds": data["duration"], "due": utc_iso(due),
                  "due_local": due.astimezone(ZoneInfo(calendar.time_zone)).isoformat(),
                  "time_zone": calendar.time_zone}
        return Response(AddBusinessTimeResultSerializer(result).data)

    @extend_schema(
        summary="What if: business time between two instants",
        request=BusinessTimeBetweenInputSerializer,
        responses={200: BusinessTimeBetweenResultSerializer, 400: ERROR, 404: ERROR, **READ_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="business-time-between", url_name="business-time-between")
    def business_time_between(self, request, pk=None):
        calendar = self.get_object()
        data = validated(BusinessTimeBetweenInputSerializer, request.data)
        seconds = configuration.business_seconds_between(calendar=calendar, start=data["start"], end=data["end"])
        return Response(BusinessTimeBetweenResultSerializer(
            {"business_seconds": seconds, "human": format_duration(seconds, exact=False)}).data)

    @extend_schema(
        summary="Import public holidays (tenant admins)",
        description="Adds a country's (and optionally a subdivision's) public holidays for the given years; "
                    "dates already in the calendar are kept.",
        request=ImportHolidaysInputSerializer,
        responses={200: ImportHolidaysResultSerializer, 404: ERROR, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="import-holidays", url_name="import-holidays")
    def import_holidays(self, request, pk=None):
        calendar = self.get_object()
        data = validated(ImportHolidaysInputSerializer, request.data)
        added = configuration.import_holidays(by=request.user, calendar=calendar, **data)
        fresh = self.get_queryset().get(pk=calendar.pk)
        return Response(ImportHolidaysResultSerializer(
            {"added": added, "calendar": fresh}, context=self.get_serializer_context()).data)


# -- policies ------------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="List policies", description="In the order they are tried, per ticket type.",
                       responses={200: PolicySerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(summary="Get a policy", responses={200: PolicySerializer, 404: ERROR, **READ_ERRORS}),
    create=extend_schema(summary="Create a policy (tenant admins)", request=PolicyInputSerializer,
                         responses={201: PolicySerializer, **WRITE_ERRORS}),
    update=extend_schema(summary="Replace a policy (tenant admins)",
                         description="Running clocks keep their targets; the change applies to tickets created "
                                     "or re-matched afterwards.",
                         request=PolicyInputSerializer, responses={200: PolicySerializer, 404: ERROR, **WRITE_ERRORS}),
    partial_update=extend_schema(summary="Change some of a policy's fields (tenant admins)",
                                 request=PolicyInputSerializer,
                                 responses={200: PolicySerializer, 404: ERROR, **WRITE_ERRORS}),
    destroy=extend_schema(summary="Delete a policy (tenant admins)",
                          description="A policy that clocks were measured under is deactivated instead (200).",
                          responses={204: OpenApiResponse(description="Deleted."), 200: PolicyRemovalSerializer,
                                     404: ERROR, **WRITE_ERRORS}),
)
class PolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SlaViewSet):
    serializer_class = PolicySerializer
    queryset = Policy.objects.prefetch_related(
        "categories", "targets__calendar",
        Prefetch("escalations", queryset=EscalationRule.objects.select_related("group", "assignee")
                 .prefetch_related("users")))

    def create(self, request):
        data = validated(PolicyInputSerializer, request.data)
        policy = configuration.save_policy(by=request.user, **data)
        return self.represent(policy, status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        policy = self.get_object()
        data = validated(PolicyInputSerializer, request.data, partial=partial)
        current = configuration.policy_fields(policy)
        if not partial:  # a replacement: what is left out takes its default
            current.update(description="", is_active=True, categories=[], channels=[], requester_vip="",
                           pause_states=[], escalations=[])
        policy = configuration.save_policy(by=request.user, policy=policy, **{**current, **data})
        return self.represent(policy)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        policy = self.get_object()
        removal = configuration.delete_policy(by=request.user, policy=policy)
        if removal.deleted:
            return Response(status=status.HTTP_204_NO_CONTENT)
        fresh = self.get_queryset().get(pk=policy.pk)
        return Response(PolicyRemovalSerializer({"detail": removal.message, "deleted": False, "policy": fresh},
                                                context=self.get_serializer_context()).data)


# -- clocks --------------------------------------------------------------------------------------

def _ticket_model(number: str):
    """The ticket model whose numbers start with this prefix (INC..., PRB...)."""
    return next((m for m in ticket_models() if m.NUMBER_PREFIX and number.startswith(m.NUMBER_PREFIX)), None)


def ticket_numbers(clocks) -> dict[tuple[str, int], str]:
    """{(ticket type, ticket id): number} for a page of clocks: one query per ticket type on the page."""
    wanted: dict[str, set[int]] = {}
    for clock in clocks:
        wanted.setdefault(clock.ticket_type, set()).add(clock.ticket_id)
    models = {m._meta.label_lower: m for m in ticket_models()}
    numbers = {}
    for label, ids in wanted.items():
        model = models.get(label)
        if model is not None:
            for pk, number in model._default_manager.filter(pk__in=ids).values_list("pk", "number"):
                numbers[(label, pk)] = number
    return numbers


def _ticket_type_choices():
    return [(m._meta.label_lower, m._meta.verbose_name) for m in ticket_models()]


class WholeNumberFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField  # NumberFilter takes decimals; ids are whole


class ClockFilter(django_filters.FilterSet):
    ticket = django_filters.CharFilter(method="filter_ticket", label="Ticket number, e.g. INC0001001")
    # A list, not the callable: the schema lists what a callable would leave open (URLs load after apps).
    ticket_type = django_filters.ChoiceFilter(choices=_ticket_type_choices(), label="Ticket type (model label)")
    ticket_id = WholeNumberFilter(label="Ticket database id (with ticket_type)")
    state = django_filters.MultipleChoiceFilter(choices=Clock.State.choices, distinct=False)
    outcome = django_filters.MultipleChoiceFilter(
        choices=[(value, label) for value, label in Clock.Outcome.choices if value], distinct=False)
    metric = django_filters.MultipleChoiceFilter(choices=Metric.choices, distinct=False)
    breaching_before = InstantFilter(
        method="filter_breaching_before", label="Running clocks due before this instant")

    class Meta:
        model = Clock
        fields = []

    def filter_ticket(self, queryset, name, value):
        number = value.strip().upper()
        model = _ticket_model(number)
        ticket_id = model._default_manager.filter(number=number).values_list("pk", flat=True).first() if model else None
        if ticket_id is None:
            raise ValidationError({"ticket": [f"No ticket {number}."]})
        return queryset.filter(ticket_type=model._meta.label_lower, ticket_id=ticket_id)

    def filter_breaching_before(self, queryset, name, value):
        return queryset.filter(state=Clock.State.RUNNING, deadline__lte=value)


@extend_schema_view(
    list=extend_schema(summary="List SLA clocks",
                       description="Agents only. Filter by ticket number (`ticket=INC0001001`) or by "
                                   "`ticket_type` and `ticket_id`, and by state, outcome, metric or "
                                   "`breaching_before` (running clocks due before an instant).",
                       responses={200: ClockSerializer(many=True), 400: ERROR, **READ_ERRORS}),
    retrieve=extend_schema(summary="Get an SLA clock", responses={200: ClockSerializer, 404: ERROR, **READ_ERRORS}),
)
class ClockViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SlaViewSet):
    serializer_class = ClockSerializer
    queryset = Clock.objects.select_related("policy", "calendar")
    pagination_class = NewestFirstPagination
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = ClockFilter

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def get_serializer(self, *args, **kwargs):
        instances = args[0] if args else None
        if instances is not None:
            page = instances if isinstance(instances, (list, tuple)) else [instances]
            kwargs.setdefault("context", self.get_serializer_context())["ticket_numbers"] = ticket_numbers(page)
        return super().get_serializer(*args, **kwargs)


# -- compliance ----------------------------------------------------------------------------------

class ComplianceView(ApiViewMixin, APIView):
    """One report, not a list of them: an APIView, so the schema does not call it an array."""

    permission_classes = [IsAuthenticated, SlaAccess]

    @extend_schema(
        operation_id="sla_compliance_report",
        summary="SLA compliance report",
        description="Clocks that stopped met or breached in [start, end), grouped; cancelled clocks are left out. "
                    "A clock that breached and then met a later, re-targeted deadline counts as breached. "
                    "Dates, times without an offset and periods are in your time zone (else the tenant's).",
        parameters=[ComplianceQuerySerializer],
        responses={200: ComplianceReportSerializer, 400: ERROR, **READ_ERRORS},
    )
    def get(self, request):
        # Dates and periods are the caller's: their own zone, else the tenant's (token calls included).
        zone = request.user.time_zone or getattr(request.tenant, "time_zone", "") or "UTC"
        query = validated(ComplianceQuerySerializer, request.query_params.dict(), context={"time_zone": zone})
        rows = metrics.compliance(start=query["start"], end=query["end"], group_by=query["group_by"],
                                  period=query["period"], ticket_type=query["ticket_type"] or None,
                                  include_running=query["include_running"], time_zone=zone)
        report = {"start": utc_iso(query["start"]), "end": utc_iso(query["end"]), "group_by": query["group_by"],
                  "period": query["period"], "rows": rows}
        return Response(ComplianceReportSerializer(report).data)
