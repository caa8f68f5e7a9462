"""Forms of the SLA settings screens: shape only; ``sla.configuration`` decides what may be saved."""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from django import forms

from accounts import time_zones
from accounts.models import AssignmentGroup, User
from core.exceptions import TicketError
from sla import configuration
from sla.formatting import DURATION_HELP, format_duration, parse_duration
from sla.models import Calendar, EscalationRule, Metric, Policy, Weekday, default_ticket_type
from tickets.models import Category, Channel, Priority
from tickets.registry import ticket_models

# -- durations: sla.formatting parses and prints them --------------------------------------

class DurationField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", DURATION_HELP)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc))
        if seconds <= 0:
            raise forms.ValidationError("The duration must be longer than zero.")
        return seconds


def _service_error(exc: TicketError) -> forms.ValidationError:
    return forms.ValidationError([m for messages in exc.fields.values() for m in messages] or [exc.message])


# -- calendars ----------------------------------------------------------------------------------

def _strip_line_number(message: str) -> str:
    return re.sub(r"^Line \d+: ", "", message)


class CalendarForm(forms.Form):
    """Name, zone, one line of hours per weekday ("09:00-12:00, 13:00-17:00") and holiday lines."""

    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=300, required=False)
    time_zone = forms.ChoiceField(label="Time zone", choices=partial(time_zones.choices),
                                  help_text="Working hours and holidays are read in this zone.")
    holidays = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
                               help_text="One per line: YYYY-MM-DD Name, e.g. 2026-12-25 Christmas Day.")

    def __init__(self, *args, calendar: Calendar | None = None, default_time_zone: str = "UTC", **kwargs):
        if calendar is not None and "initial" not in kwargs:
            current = configuration.calendar_fields(calendar)
            by_day: dict[int, list] = {}
            for weekday, start, end in current["hours"]:
                by_day.setdefault(weekday, []).append(f"{configuration.format_minute(start)}-{configuration.format_minute(end)}")
            kwargs["initial"] = {"name": current["name"], "description": current["description"],
                                 "time_zone": current["time_zone"],
                                 "holidays": configuration.format_holidays(current["holidays"]),
                                 **{f"hours_{day}": ", ".join(spans) for day, spans in by_day.items()}}
        elif calendar is None and "initial" not in kwargs:
            kwargs["initial"] = {"time_zone": default_time_zone, **{f"hours_{day}": "09:00-17:00" for day in range(5)}}
        super().__init__(*args, **kwargs)
        self.builtin = calendar is not None and calendar.is_24x7
        if self.builtin:
            # Round the clock, no holidays: only its name, description and zone can change.
            del self.fields["holidays"]
            return
        for value, label in Weekday.choices:
            self.fields[f"hours_{value}"] = forms.CharField(
                label=label, required=False, widget=forms.TextInput(attrs={"placeholder": "Closed", "spellcheck": "false"}))

    def day_fields(self):
        return [] if self.builtin else [self[f"hours_{value}"] for value, _ in Weekday.choices]

    def _clean_day(self, weekday: int) -> list[tuple[int, int, int]]:
        text = (self.cleaned_data.get(f"hours_{weekday}") or "").strip()
        if not text or text.lower() == "closed":
            return []
        try:
            return configuration.parse_hours(f"{Weekday(weekday).label} {text}")
        except TicketError as exc:
            self.add_error(f"hours_{weekday}", [_strip_line_number(m) for m in exc.fields.get("hours", [exc.message])])
            return []

    def clean_holidays(self):
        try:
            return configuration.parse_holidays(self.cleaned_data["holidays"])
        except TicketError as exc:
            raise _service_error(exc)

    def clean(self):
        cleaned = super().clean()
        if not self.builtin:
            cleaned["hours"] = [row for weekday in range(7) for row in self._clean_day(weekday)]
        return cleaned

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {"name": data["name"], "description": data["description"], "time_zone": data["time_zone"],
                  "hours": [], "holidays": None}
        if not self.builtin:
            fields.update(hours=data["hours"], holidays=data["holidays"])
        return fields

    def add_service_errors(self, exc: TicketError) -> None:
        """Hours problems name their day ("Monday 09:00-12:00 overlaps ..."): show them on that day's row."""
        self.add_error(None, exc.message)
        days = {label.lower(): value for value, label in Weekday.choices}
        for name, messages in exc.fields.items():
            for message in messages:
                day = days.get(message.split(" ", 1)[0].lower()) if name == "hours" else None
                if day is not None:
                    self.add_error(f"hours_{day}", message)
                elif name in self.fields:
                    self.add_error(name, message)
                else:
                    self.add_error(None, f"{name.replace('_', ' ').capitalize()}: {message}")


def country_choices() -> list[tuple[str, str]]:
    """ISO codes the holidays package knows, labelled with the country's name where it tells us."""
    import holidays

    supported = holidays.list_supported_countries()
    names = {}
    try:
        from holidays.registry import COUNTRIES

        for class_name, code, *_ in COUNTRIES.values():
            names[code] = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name)
    except (ImportError, AttributeError, ValueError):
        pass
    choices = sorted(((code, f"{names.get(code, code)} ({code})") for code in supported if len(code) == 2),
                     key=lambda choice: choice[1])
    return [("", "Choose a country…"), *choices]


class HolidayImportForm(forms.Form):
    country = forms.ChoiceField(choices=country_choices)
    subdivision = forms.CharField(required=False, max_length=20, label="Region (optional)",
                                  help_text="A state or region code, e.g. BY (Bavaria) or CA (California).")
    years = forms.CharField(max_length=40, help_text="e.g. 2026, 2027 or 2026-2028.")

    def clean_years(self):
        years = []
        for part in re.split(r"[,\s]+", self.cleaned_data["years"].strip()):
            if not part:
                continue
            match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", part)
            if match is None:
                raise forms.ValidationError(f"'{part}' is not a year or a range of years (e.g. 2026 or 2026-2028).")
            first, last = int(match[1]), int(match[2] or match[1])
            if last < first or last - first > 20:
                raise forms.ValidationError(f"'{part}': give at most 20 years, first year first.")
            years.extend(range(first, last + 1))
        if not years:
            raise forms.ValidationError("Name at least one year.")
        return sorted(set(years))


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date and time as typed: naive, read in the calendar's zone by the form (not the viewer's)."""

    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        return forms.fields.BaseTemporalField.to_python(self, value)

    def prepare_value(self, value):
        return value


class _WhatIfForm(forms.Form):
    def __init__(self, *args, calendar: Calendar, **kwargs):
        self.zone = ZoneInfo(calendar.time_zone)
        super().__init__(*args, **kwargs)

    def local(self, name: str) -> datetime:
        return self.cleaned_data[name].replace(tzinfo=self.zone)


class DueDateForm(_WhatIfForm):
    prefix = "due"
    start = LocalDateTimeField(label="Start")
    duration = DurationField(label="Business time", help_text="e.g. 4h, 1d 2h, 30m or PT4H.")


class BetweenForm(_WhatIfForm):
    prefix = "between"
    start = LocalDateTimeField(label="From")
    end = LocalDateTimeField(label="To")


# -- policies -----------------------------------------------------------------------------------

def ticket_type_choices() -> list[tuple[str, str]]:
    return [(model._meta.label_lower, str(model._meta.verbose_name).capitalize()) for model in ticket_models()]


def pause_state_choices() -> list[tuple[str, str]]:
    """Open, non-final states of every ticket type; prefixed with the type when there are several."""
    models = ticket_models()
    choices = []
    for model in models:
        workflow = model.workflow
        for value, label in workflow.state_choices():
            if value in workflow.open_states and value not in workflow.final:
                prefix = f"{str(model._meta.verbose_name).capitalize()}: " if len(models) > 1 else ""
                choices.append((value, f"{prefix}{label}"))
    return list(dict(choices).items())


def default_pause_states() -> str:
    labels = [label for model in ticket_models() for value, label in model.workflow.state_choices()
              if value in model.workflow.paused]
    return ", ".join(labels) or "none"


class PolicyForm(forms.Form):
    """The policy's fields and a targets grid: one duration + calendar per metric and priority."""

    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=300, required=False)
    ticket_type = forms.ChoiceField(label="Ticket type", choices=ticket_type_choices)
    order = forms.IntegerField(min_value=0, initial=100,
                               help_text="Lower runs first: the first active policy whose conditions all hold applies.")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    categories = forms.ModelMultipleChoiceField(queryset=Category.objects.none(), required=False,
                                                widget=forms.CheckboxSelectMultiple,
                                                help_text="None ticked: any category. A parent category includes its children.")
    channels = forms.MultipleChoiceField(choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple,
                                         help_text="None ticked: any channel.")
    requester_vip = forms.ChoiceField(label="Requester", choices=Policy.Vip.choices, required=False)
    pause_states = forms.MultipleChoiceField(label="Clocks pause in", choices=pause_state_choices, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    default_calendar = forms.ModelChoiceField(queryset=Calendar.objects.none(), label="Calendar",
                                              empty_label=None,
                                              help_text="Counts the targets' business time unless a target names another.")

    METRICS = (Metric.RESPONSE, Metric.RESOLUTION, Metric.NEXT_REPLY)

    def __init__(self, *args, policy: Policy | None = None, **kwargs):
        calendars = list(Calendar.objects.order_by("-is_24x7", "name"))
        current = configuration.policy_fields(policy) if policy is not None else None
        if "initial" not in kwargs:
            kwargs["initial"] = self._initial(current, calendars)
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = Category.objects.filter(is_active=True).select_related("parent")
        self.fields["default_calendar"].queryset = Calendar.objects.all()
        self.fields["pause_states"].help_text = f"None ticked: the workflow's waiting states ({default_pause_states()})."
        override_choices = [("", "Policy calendar"), *((c.pk, c.name) for c in calendars)]
        self.calendars = {c.pk: c for c in calendars}
        for metric in self.METRICS:
            for priority in Priority.values:
                key = f"target_{metric}_{priority}"
                self.fields[key] = DurationField(
                    required=False, label=f"{Metric(metric).label} target for P{priority}",
                    widget=forms.TextInput(attrs={"placeholder": "—", "spellcheck": "false", "autocomplete": "off"}))
                self.fields[f"{key}_calendar"] = forms.TypedChoiceField(
                    required=False, choices=override_choices, coerce=int, empty_value=None,
                    label=f"{Metric(metric).label} calendar for P{priority}")

    @classmethod
    def _initial(cls, current: dict | None, calendars: list[Calendar]) -> dict:
        if current is None:
            business = next((c for c in calendars if not c.is_24x7), None)
            return {"order": 100, "is_active": True, "default_calendar": (business or calendars[0]).pk if calendars else None,
                    "ticket_type": default_ticket_type()}
        used = [t["calendar"].pk for t in current["targets"]]
        default = max(set(used), key=used.count) if used else (calendars[0].pk if calendars else None)
        initial = {key: current[key] for key in ("name", "description", "ticket_type", "order", "is_active",
                                                 "categories", "channels", "requester_vip", "pause_states")}
        initial["default_calendar"] = default
        for target in current["targets"]:
            key = f"target_{target['metric']}_{target['priority']}"
            initial[key] = format_duration(target["duration_seconds"]) if target["duration_seconds"] else ""
            if target["calendar"].pk != default:
                initial[f"{key}_calendar"] = target["calendar"].pk
        return initial

    def target_rows(self):
        """For the template: [(priority label, [(metric, duration field, calendar field), ...]), ...]."""
        return [(label, [(metric, self[f"target_{metric}_{value}"], self[f"target_{metric}_{value}_calendar"])
                         for metric in self.METRICS])
                for value, label in Priority.choices]

    def metric_labels(self):
        return [Metric(metric).label for metric in self.METRICS]

    def targets(self) -> tuple[list[dict], list[str]]:
        """The targets for ``save_policy`` and, in the same order, the form field each came from."""
        rows, keys = [], []
        default = self.cleaned_data.get("default_calendar")
        for metric in self.METRICS:
            for priority in Priority.values:
                key = f"target_{metric}_{priority}"
                seconds = self.cleaned_data.get(key)
                if not seconds:
                    continue
                override = self.cleaned_data.get(f"{key}_calendar")
                rows.append({"metric": metric, "priority": priority, "duration_seconds": seconds,
                             "calendar": self.calendars.get(override, default) if override else default})
                keys.append(key)
        return rows, keys

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "description": data["description"], "ticket_type": data["ticket_type"],
                "order": data["order"], "is_active": data["is_active"], "categories": list(data["categories"]),
                "channels": data["channels"], "requester_vip": data["requester_vip"] or "",
                "pause_states": data["pause_states"]}


class EscalationForm(forms.Form):
    """One escalation rule; a row left blank is ignored."""

    metric = forms.ChoiceField(choices=[("", "—"), *Metric.choices], required=False)
    threshold = forms.IntegerField(required=False, min_value=1, max_value=1000, label="At % of target",
                                   widget=forms.NumberInput(attrs={"placeholder": "e.g. 75"}))
    action = forms.ChoiceField(choices=[("", "—"), *EscalationRule.Action.choices], required=False)
    group = forms.ModelChoiceField(queryset=AssignmentGroup.objects.none(), required=False, label="To group",
                                   empty_label="—")
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="To agent", empty_label="—")
    users = forms.ModelMultipleChoiceField(queryset=User.objects.none(), required=False, label="Watchers",
                                           widget=forms.SelectMultiple(attrs={"size": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agents = User.objects.filter(role__in=[User.Role.AGENT, User.Role.ADMIN], is_active=True).order_by("full_name")
        self.fields["group"].queryset = AssignmentGroup.objects.filter(is_active=True).order_by("name")
        self.fields["assignee"].queryset = agents
        self.fields["users"].queryset = agents

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("DELETE") or not self.has_changed():
            return cleaned
        for name, message in (("metric", "Choose the clock."), ("threshold", "Give a percentage (100 = breach)."),
                              ("action", "Choose what happens.")):
            if cleaned.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, message)
        return cleaned

    def rule(self) -> dict:
        data = self.cleaned_data
        return {"metric": data["metric"], "threshold": data["threshold"], "action": data["action"],
                "group": data.get("group"), "assignee": data.get("assignee"), "users": list(data.get("users") or ())}


EscalationFormSet = forms.formset_factory(EscalationForm, extra=2, can_delete=True, max_num=30, validate_max=True)


def escalation_initial(policy: Policy | None) -> list[dict]:
    if policy is None:
        return []
    return configuration.policy_fields(policy)["escalations"]


