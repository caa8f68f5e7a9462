"""SLA API shapes. Inputs check shape only; ``sla.configuration`` decides what is allowed.

Relations are ids in input and ``{"id", "name"}`` references in output, as in the
ticket APIs. Times of day are "HH:MM" ("24:00" ends a day); instants are ISO 8601
with an offset; durations are ISO 8601 ("PT4H", "P1DT2H") or a number of seconds.
"""

from __future__ import annotations

from datetime import datetime, time, timezone as dt_timezone
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_duration
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import AssignmentGroup, User
from core.api.strict import StrictInputMixin
from sla import configuration, metrics
from sla.models import Calendar, Clock, EscalationRule, Metric, Policy
from sla.queries import status_of
from tickets.api.serializers import (
    CategoryRefSerializer,
    GroupRefField,
    RefField,
    TextBooleanField,
    UserRefField,
    UserRefSerializer,
)
from tickets.filters import in_utc
from tickets.models import Category, Channel, Priority


# -- fields --------------------------------------------------------------------------------------

@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}$", "example": "09:00"})
class ClockTimeField(serializers.Field):
    """Minutes after local midnight as "HH:MM"; ``end=True`` also admits "24:00"."""

    def __init__(self, *, end: bool = False, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return configuration.parse_minute(data, end=self.end)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc))

    def to_representation(self, value):
        return configuration.format_minute(value)


@extend_schema_field({"type": "string", "format": "date-time", "example": "2026-03-06T16:30:00+01:00"})
class InstantField(serializers.Field):
    """An ISO 8601 instant that names its offset (or Z): a bare local time is ambiguous."""

    default_error_messages = {
        "invalid": "Not an ISO 8601 date-time, e.g. 2026-03-06T16:30:00+01:00.",
        "naive": "Include a UTC offset or Z, e.g. 2026-03-06T16:30:00+01:00: a time without one is ambiguous.",
    }

    def to_internal_value(self, data):
        try:
            moment = parse_datetime(data) if isinstance(data, str) else None
        except ValueError:
            moment = None
        if moment is None:
            self.fail("invalid")
        if timezone.is_naive(moment):
            self.fail("naive")
        return _storable(moment)

    def to_representation(self, value):
        return utc_iso(value)


@extend_schema_field({"oneOf": [{"type": "string", "example": "PT4H"},
                                 {"type": "number", "minimum": 0, "example": 14400}]})
class BusinessDurationField(serializers.Field):
    """ISO 8601 duration ("PT4H", "P1DT2H30M") or a number of seconds; returns seconds."""

    default_error_messages = {
        "invalid": "Not a duration: use ISO 8601 such as PT4H or P1DT2H (days, hours, minutes, seconds), "
                   "or a number of seconds.",
        "negative": "A duration cannot be negative.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, (int, float)):
            seconds = float(data)
        elif isinstance(data, str):
            try:
                delta = parse_duration(data.strip())
            except (ValueError, OverflowError):
                delta = None
            if delta is None:
                self.fail("invalid")
            seconds = delta.total_seconds()
        else:
            self.fail("invalid")
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            self.fail("invalid")
        if seconds < 0:
            self.fail("negative")
        return seconds

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.DATETIME)
class ReportBoundField(serializers.Field):
    """A date (midnight) or an ISO 8601 date-time; without an offset, in the caller's zone (context ``time_zone``)."""

    default_error_messages = {"invalid": "Use a date (2026-03-01) or an ISO 8601 date-time."}

    def to_internal_value(self, data):
        moment = None
        try:
            moment = parse_datetime(data)
            if moment is None and parse_date(data) is not None:
                moment = datetime.combine(parse_date(data), time(0))
        except (TypeError, ValueError):
            moment = None
        if moment is None:
            self.fail("invalid")
        if timezone.is_naive(moment):
            zone = self.context.get("time_zone")
            moment = timezone.make_aware(moment, ZoneInfo(zone) if zone else timezone.get_current_timezone())
        return _storable(moment)

    def to_representation(self, value):
        return utc_iso(value)


def _storable(moment: datetime) -> datetime:
    try:
        return in_utc(moment)
    except ValueError as exc:
        raise serializers.ValidationError(str(exc), code="out_of_range") from None


def utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, the API's way of writing an instant."""
    return moment.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z")


class CalendarRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


@extend_schema_field(CalendarRefSerializer)
class CalendarRefField(RefField):
    pass


@extend_schema_field(CalendarRefSerializer)
class PolicyRefField(RefField):
    pass


# -- calendars -----------------------------------------------------------------------------------

class WorkingHoursSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 Monday .. 6 Sunday.")
    weekday_name = serializers.CharField(read_only=True)
    start = ClockTimeField(help_text="Local time, HH:MM.")
    end = ClockTimeField(end=True, help_text="Local time, HH:MM; 24:00 for midnight at the end of the day.")


class HolidaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=100)


class CalendarSerializer(serializers.ModelSerializer):
    """A calendar as the API returns it. The built-in 24x7 calendar lists every day 00:00-24:00."""

    url = serializers.HyperlinkedIdentityField(view_name="sla-calendar-detail")
    hours = serializers.SerializerMethodField()
    holidays = HolidaySerializer(many=True, read_only=True)

    class Meta:
        model = Calendar
        fields = ("url", "id", "name", "description", "time_zone", "is_24x7", "hours", "holidays", "updated_at")
        read_only_fields = fields

    @extend_schema_field(WorkingHoursSerializer(many=True))
    def get_hours(self, calendar):
        rows = configuration.FULL_WEEK if calendar.is_24x7 else [
            (h.weekday, h.start_minute, h.end_minute) for h in calendar.hours.all()]
        return [{"weekday": d, "weekday_name": configuration.day_name(d), "start": configuration.format_minute(s),
                 "end": configuration.format_minute(e)} for d, s, e in rows]


class HoursInputSerializer(StrictInputMixin, WorkingHoursSerializer):
    weekday = serializers.IntegerField(help_text="0 Monday .. 6 Sunday.")


class HolidayInputSerializer(StrictInputMixin, HolidaySerializer):
    pass


class CalendarInputSerializer(StrictInputMixin, serializers.Serializer):
    """Create or replace a calendar. ``hours`` replace all rows; ``holidays``, when given, too."""

    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, help_text="IANA name, e.g. Europe/Berlin.")
    hours = HoursInputSerializer(many=True, help_text="Working intervals; several per day allowed, no overlaps. "
                                                      "The 24x7 calendar's hours cannot change.")
    holidays = HolidayInputSerializer(many=True, required=False,
                                      help_text="Omit to keep the current holidays; [] removes them all.")

    @staticmethod
    def service_arguments(data: dict) -> dict:
        arguments = dict(data)
        if "hours" in arguments:
            arguments["hours"] = [(h["weekday"], h["start"], h["end"]) for h in arguments["hours"]]
        if "holidays" in arguments:
            arguments["holidays"] = [(h["date"], h["name"]) for h in arguments["holidays"]]
        return arguments


class AddBusinessTimeInputSerializer(StrictInputMixin, serializers.Serializer):
    start = InstantField(help_text="ISO 8601 instant with an offset or Z.")
    duration = BusinessDurationField(help_text='Business time to add: ISO 8601 ("PT4H", "P1DT2H") or seconds.')


class AddBusinessTimeResultSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="The start, in UTC.")
    duration_seconds = serializers.FloatField()
    due = serializers.CharField(help_text="When the business time has elapsed, ISO 8601 in UTC.")
    due_local = serializers.CharField(help_text="The same instant in the calendar's time zone.")
    time_zone = serializers.CharField()


class BusinessTimeBetweenInputSerializer(StrictInputMixin, serializers.Serializer):
    start = InstantField()
    end = InstantField()


class BusinessTimeBetweenResultSerializer(serializers.Serializer):
    business_seconds = serializers.FloatField()
    human = serializers.CharField(help_text='E.g. "4h 30m".')


class ImportHolidaysInputSerializer(StrictInputMixin, serializers.Serializer):
    country = serializers.CharField(max_length=10, help_text="ISO 3166 code, e.g. DE, GB, US.")
    subdivision = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                        help_text="E.g. BY (Bavaria) for DE; empty for national holidays only.")
    years = serializers.ListField(child=serializers.IntegerField(), help_text="E.g. [2026, 2027]; 1970-2100.")


class ImportHolidaysResultSerializer(serializers.Serializer):
    added = serializers.IntegerField(help_text="Holidays added; dates already in the calendar are kept as they are.")
    calendar = CalendarSerializer()


# -- policies ------------------------------------------------------------------------------------

class TargetSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    metric = serializers.ChoiceField(choices=Metric.choices)
    metric_label = serializers.CharField(source="get_metric_display", read_only=True)
    priority = serializers.ChoiceField(choices=Priority.choices)
    duration_seconds = serializers.IntegerField()
    calendar = CalendarRefField()


class EscalationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    metric = serializers.ChoiceField(choices=Metric.choices)
    threshold = serializers.IntegerField(help_text="Percent of the target elapsed; 100 is the breach.")
    action = serializers.ChoiceField(choices=EscalationRule.Action.choices)
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    group = GroupRefField(allow_null=True)
    assignee = UserRefField(allow_null=True)
    users = UserRefSerializer(many=True, read_only=True)


class PolicySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="sla-policy-detail")
    categories = serializers.SerializerMethodField()
    channels = serializers.ListField(child=serializers.CharField(), help_text="Empty: any channel.")
    requester_vip = serializers.ChoiceField(choices=Policy.Vip.choices, allow_blank=True)
    pause_states = serializers.ListField(child=serializers.CharField(),
                                         help_text="Empty: the workflow's own waiting states.")
    targets = TargetSerializer(many=True, read_only=True)
    escalations = EscalationSerializer(many=True, read_only=True)

    class Meta:
        model = Policy
        fields = ("url", "id", "name", "description", "ticket_type", "order", "is_active", "categories", "channels",
                  "requester_vip", "pause_states", "targets", "escalations", "updated_at")
        read_only_fields = fields

    @extend_schema_field(CategoryRefSerializer(many=True))
    def get_categories(self, policy):
        return [{"id": c.pk, "name": c.name, "parent_id": c.parent_id} for c in policy.categories.all()]


class TargetInputSerializer(StrictInputMixin, serializers.Serializer):
    metric = serializers.ChoiceField(choices=Metric.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, help_text="1 critical .. 5 planning.")
    duration_seconds = serializers.IntegerField(help_text="Business seconds, counted on the calendar.")
    calendar = serializers.PrimaryKeyRelatedField(queryset=Calendar.objects.all(), help_text="Calendar id.")


class EscalationInputSerializer(StrictInputMixin, serializers.Serializer):
    metric = serializers.ChoiceField(choices=Metric.choices)
    threshold = serializers.IntegerField(help_text="1-1000 percent of the target; 100 is the breach.")
    action = serializers.ChoiceField(choices=EscalationRule.Action.choices)
    group = serializers.PrimaryKeyRelatedField(queryset=AssignmentGroup.objects.all(), required=False,
                                               allow_null=True, default=None, help_text="Reassign: group id.")
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True,
                                                  default=None, help_text="Reassign: an agent id in that group.")
    users = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False, default=list,
                                               help_text="Add watchers: user ids.")


class PolicyInputSerializer(StrictInputMixin, serializers.Serializer):
    """Create or replace a policy; ``targets`` and ``escalations`` replace the current rows."""

    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    ticket_type = serializers.CharField(max_length=60, help_text='A ticket model label, e.g. "incidents.incident".')
    order = serializers.IntegerField(help_text="Lower is tried first; unique among active policies of a type.")
    is_active = serializers.BooleanField(required=False)
    categories = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), many=True, required=False,
                                                    help_text="Category ids; empty matches any.")
    channels = serializers.ListField(child=serializers.CharField(), required=False,
                                     help_text=f"Empty matches any; else some of: {', '.join(Channel.values)}.")
    requester_vip = serializers.CharField(required=False, allow_blank=True, help_text='"", "vip" or "not_vip".')
    pause_states = serializers.ListField(child=serializers.CharField(), required=False,
                                         help_text="Open states in which clocks pause; empty: the workflow's.")
    targets = TargetInputSerializer(many=True)
    escalations = EscalationInputSerializer(many=True, required=False)


class PolicyRemovalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    deleted = serializers.BooleanField(help_text="False: deactivated instead, because clocks were measured under it.")
    policy = PolicySerializer()


# -- clocks and compliance -----------------------------------------------------------------------

class TicketRefSerializer(serializers.Serializer):
    type = serializers.CharField(help_text='Model label, e.g. "incidents.incident".')
    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)


class ClockSerializer(serializers.ModelSerializer):
    """One clock with its live status; ``remaining_business_seconds`` is negative once breached.

    A breach is never erased: when a priority change moves the deadline of a breached clock back
    into the future, ``breached_at`` (the current deadline's breach) is cleared but
    ``first_breached_at`` stays, ``breached`` stays true and ``breached_earlier`` tells why the
    clock may still end with ``outcome`` "met" (met the new deadline, breached an earlier one).
    """

    ticket = serializers.SerializerMethodField()
    metric_label = serializers.CharField(source="get_metric_display", read_only=True)
    policy = PolicyRefField()
    policy_name = serializers.CharField(source="policy.name", read_only=True)
    calendar = CalendarRefField()
    remaining_business_seconds = serializers.SerializerMethodField()
    elapsed_percent = serializers.SerializerMethodField()
    tone = serializers.SerializerMethodField()
    breached = serializers.SerializerMethodField()
    breached_earlier = serializers.SerializerMethodField()
    paused = serializers.SerializerMethodField()

    class Meta:
        model = Clock
        fields = ("id", "ticket", "metric", "metric_label", "state", "outcome", "priority", "policy", "policy_name",
                  "calendar", "target_seconds", "started_at", "deadline", "breached_at", "first_breached_at",
                  "stopped_at", "remaining_business_seconds", "elapsed_percent", "tone", "breached",
                  "breached_earlier", "paused")
        read_only_fields = fields
        extra_kwargs = {
            "breached_at": {"help_text": "When the current deadline passed; null while it has not (also after a "
                                         "re-target moved it into the future)."},
            "first_breached_at": {"help_text": "When the clock first passed a deadline it had; never cleared."},
        }

    def _status(self, clock):
        cache = self.context.setdefault("statuses", {})
        if clock.pk not in cache:
            cache[clock.pk] = status_of(clock, now=self.context.get("now"))
        return cache[clock.pk]

    @extend_schema_field(TicketRefSerializer)
    def get_ticket(self, clock):
        numbers = self.context.get("ticket_numbers", {})
        return {"type": clock.ticket_type, "id": clock.ticket_id,
                "number": numbers.get((clock.ticket_type, clock.ticket_id))}

    @extend_schema_field(OpenApiTypes.FLOAT)
    def get_remaining_business_seconds(self, clock):
        return round(self._status(clock).remaining_seconds, 3)

    @extend_schema_field(OpenApiTypes.FLOAT)
    def get_elapsed_percent(self, clock):
        return round(self._status(clock).elapsed_percent, 1)

    @extend_schema_field({"type": "string", "enum": ["ok", "warning", "breached", "paused", "met", "cancelled"],
                          "description": "The badge colour; \"breached\" for any clock that ever breached, "
                                         "even one that met a later, re-targeted deadline."})
    def get_tone(self, clock):
        return self._status(clock).tone

    @extend_schema_field({"type": "boolean", "description": "The clock is, or at some point was, past a deadline "
                                                            "(cancelled clocks: only if they breached before)."})
    def get_breached(self, clock):
        if clock.first_breached_at or clock.breached_at or clock.outcome == Clock.Outcome.BREACHED:
            return True
        return clock.outcome != Clock.Outcome.CANCELLED and self._status(clock).remaining_seconds < 0

    @extend_schema_field({"type": "boolean", "description": "Breached a deadline that a later re-target (a priority "
                                                            "or policy change) moved out; within the current one."})
    def get_breached_earlier(self, clock):
        return self._status(clock).breached_earlier

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_paused(self, clock):
        return clock.state == Clock.State.PAUSED


class ComplianceQuerySerializer(StrictInputMixin, serializers.Serializer):
    json_types = False  # a query string: every value is text, parsed by its field

    start = ReportBoundField(help_text="Inclusive; a date means midnight in your time zone.")
    end = ReportBoundField(help_text="Exclusive.")
    group_by = serializers.ChoiceField(choices=metrics.GROUPINGS, default="policy")
    period = serializers.ChoiceField(choices=tuple(metrics.PERIODS), default="month",
                                     help_text="With group_by=period.")
    ticket_type = serializers.CharField(required=False, allow_blank=True, default="")
    include_running = TextBooleanField(default=False,
                                               help_text="Count running clocks already breached as breached.")


class ComplianceRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="Policy id, group id (null: no group), priority, metric, "
                                                           "or the period's first day.")
    label = serializers.CharField()
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    total = serializers.IntegerField()
    compliance_percent = serializers.FloatField(allow_null=True)

    def to_representation(self, row):
        data = super().to_representation(row)
        data["key"] = None if row["key"] is None else str(row["key"])
        return data


class ComplianceReportSerializer(serializers.Serializer):
    start = serializers.CharField()
    end = serializers.CharField()
    group_by = serializers.CharField()
    period = serializers.CharField()
    rows = ComplianceRowSerializer(many=True)
