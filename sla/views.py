"""The tenant admin's SLA settings: calendars (hours, holidays, a what-if check) and policies.

Views parse forms and call ``sla.configuration``; refusals come back as form errors.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db.models import Count, Min, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import admin_required
from core.exceptions import TicketError
from core.forms import add_service_errors
from sla import configuration
from sla.forms import (BetweenForm, CalendarForm, DueDateForm, EscalationFormSet, HolidayImportForm, PolicyForm,
                       escalation_initial)
from sla.models import Calendar, Metric, Policy, Weekday
from tickets.models import Channel, Priority
from tickets.registry import ticket_models

SLOT_MINUTES = 15


# -- calendars ----------------------------------------------------------------------------------

@admin_required
def calendars(request):
    today = timezone.localdate()
    calendar_list = (Calendar.objects.prefetch_related("hours")
                     .annotate(holiday_count=Count("holidays", distinct=True),
                               next_holiday=Min("holidays__date", filter=Q(holidays__date__gte=today)),
                               policy_count=Count("targets__policy", distinct=True)))
    rows = [(calendar, configuration.format_hours((h.weekday, h.start_minute, h.end_minute) for h in calendar.hours.all()))
            for calendar in calendar_list]
    return render(request, "sla/calendar_list.html", {"rows": rows, "tab": "sla_calendars"})


def _tenant_zone(request) -> str:
    return getattr(request.tenant, "time_zone", "") or "UTC"


def _week_preview(calendar: Calendar | None) -> list[tuple[str, list[bool]]]:
    """Per weekday, which quarter hours are working time: a picture of the hours with their gaps (lunch)."""
    if calendar is None:
        return []
    spans = [(h.weekday, h.start_minute, h.end_minute) for h in calendar.hours.all()]
    if calendar.is_24x7:
        spans = list(configuration.FULL_WEEK)
    slots = 24 * 60 // SLOT_MINUTES
    return [(label[:3], [any(d == day and s <= slot * SLOT_MINUTES < e for d, s, e in spans) for slot in range(slots)])
            for day, label in Weekday.choices]


def _render_calendar(request, calendar, *, form=None, import_form=None, due_form=None, between_form=None,
                     result=None, status=200):
    year = timezone.localdate().year
    context = {
        "calendar": calendar,
        "form": form or CalendarForm(calendar=calendar, default_time_zone=_tenant_zone(request)),
        "import_form": import_form or HolidayImportForm(initial={"years": f"{year}, {year + 1}"}),
        "week": _week_preview(calendar),
        "tab": "sla_calendars",
    }
    if calendar is not None:
        context.update(_what_if_context(calendar, due_form, between_form, result))
        context["policies"] = sorted({t.policy.name for t in calendar.targets.select_related("policy")})
    return render(request, "sla/calendar_edit.html", context, status=status)


def _what_if_context(calendar, due_form=None, between_form=None, result=None) -> dict:
    # The check starts "now" on the calendar's wall clock, the zone its fields are read in.
    now = timezone.now().astimezone(ZoneInfo(calendar.time_zone)).replace(second=0, microsecond=0, tzinfo=None)
    return {
        "calendar": calendar,
        "due_form": due_form or DueDateForm(calendar=calendar, initial={"start": now, "duration": "4h"}),
        "between_form": between_form or BetweenForm(calendar=calendar, initial={"start": now, "end": now}),
        "result": result,
    }


@admin_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request, pk=None):
    calendar = get_object_or_404(Calendar, pk=pk) if pk else None
    form = CalendarForm(request.POST or None, calendar=calendar, default_time_zone=_tenant_zone(request))
    if request.method == "POST" and form.is_valid():
        try:
            saved = configuration.save_calendar(by=request.user, calendar=calendar, **form.service_fields())
        except TicketError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Calendar {saved.name} saved." if calendar else
                             f"Calendar {saved.name} created. Check it below before policies use it.")
            return redirect("sla:calendar_edit", pk=saved.pk)
    return _render_calendar(request, calendar, form=form, status=400 if form.errors else 200)


@admin_required
@require_POST
def calendar_import(request, pk):
    calendar = get_object_or_404(Calendar, pk=pk)
    form = HolidayImportForm(request.POST)
    if form.is_valid():
        try:
            added = configuration.import_holidays(by=request.user, calendar=calendar, **form.cleaned_data)
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            years = form.cleaned_data["years"]
            span = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
            messages.success(request, f"{added} public holiday{'s' if added != 1 else ''} added for "
                                      f"{form.cleaned_data['country']} {span}." if added else
                             "No new holidays: those dates were already in the calendar.")
            return redirect("sla:calendar_edit", pk=calendar.pk)
    return _render_calendar(request, calendar, import_form=form, status=400)


def _typed(post, prefix: str, names) -> dict:
    """What was typed in the other check, to show it again unvalidated."""
    return {name: post[f"{prefix}-{name}"] for name in names if post.get(f"{prefix}-{name}")}


@admin_required
@require_POST
def calendar_check(request, pk):
    """The what-if: a due moment from a start and a duration, or the business time between two moments.

    Both checks are one form; the button pressed says which to answer, the other keeps its input.
    """
    calendar = get_object_or_404(Calendar, pk=pk)
    result = None
    if request.POST.get("check") == "between":
        asked = between_form = BetweenForm(request.POST, calendar=calendar)
        due_form = DueDateForm(calendar=calendar, initial=_typed(request.POST, "due", ("start", "duration")))
    else:
        asked = due_form = DueDateForm(request.POST, calendar=calendar)
        between_form = BetweenForm(calendar=calendar, initial=_typed(request.POST, "between", ("start", "end")))
    if asked.is_valid():
        try:
            if asked is between_form:
                start, end = between_form.local("start"), between_form.local("end")
                seconds = configuration.business_seconds_between(calendar=calendar, start=start, end=end)
                result = {"kind": "between", "seconds": seconds, "start": start, "end": end}
            else:
                start, seconds = due_form.local("start"), due_form.cleaned_data["duration"]
                due = configuration.due_after(calendar=calendar, start=start, seconds=seconds)
                result = {"kind": "due", "due": due, "start": start, "seconds": seconds}
        except TicketError as exc:
            add_service_errors(asked, exc)
    if request.htmx:
        # htmx swaps 2xx answers only; errors are part of the fragment.
        return render(request, "sla/_whatif.html", _what_if_context(calendar, due_form, between_form, result))
    return _render_calendar(request, calendar, due_form=due_form, between_form=between_form, result=result,
                            status=400 if asked.errors else 200)


@admin_required
@require_POST
def calendar_delete(request, pk):
    calendar = get_object_or_404(Calendar, pk=pk)
    try:
        configuration.delete_calendar(by=request.user, calendar=calendar)
    except TicketError as exc:
        messages.error(request, exc.message)
        return redirect("sla:calendar_edit", pk=calendar.pk)
    messages.success(request, f"Calendar {calendar.name} deleted.")
    return redirect("sla:calendars")


# -- policies -----------------------------------------------------------------------------------

def _conditions(policy: Policy) -> list[str]:
    parts = []
    categories = [c.name for c in policy.categories.all()]
    if categories:
        parts.append("Category: " + ", ".join(categories))
    if policy.channels:
        labels = dict(Channel.choices)
        parts.append("Channel: " + ", ".join(labels.get(c, c) for c in policy.channels))
    if policy.requester_vip:
        parts.append(policy.get_requester_vip_display())
    return parts


@admin_required
def policies(request):
    policy_list = (Policy.objects.prefetch_related("targets", "categories")
                   .order_by("ticket_type", "-is_active", "order", "name"))
    type_labels = {model._meta.label_lower: str(model._meta.verbose_name_plural).capitalize() for model in ticket_models()}
    rows = []
    for policy in policy_list:
        by_cell = {(t.metric, t.priority): t.duration_seconds for t in policy.targets.all()}
        cells = [[by_cell.get((metric, priority)) for metric in (Metric.RESPONSE, Metric.RESOLUTION)]
                 for priority in Priority.values]
        rows.append({"policy": policy, "type": type_labels.get(policy.ticket_type, policy.ticket_type),
                     "conditions": _conditions(policy), "cells": cells,
                     "next_reply": any(m == Metric.NEXT_REPLY for m, _ in by_cell)})
    return render(request, "sla/policy_list.html", {"rows": rows, "priorities": Priority.values, "tab": "sla_policies"})


def _add_policy_errors(form: PolicyForm, rule_forms: list, target_keys: list[str], exc: TicketError) -> None:
    """Put refusals on the cell or escalation row they are about (``targets.3.duration_seconds``)."""
    form.add_error(None, exc.message)
    for key, key_messages in exc.fields.items():
        head, _, rest = key.partition(".")
        index, _, field = rest.partition(".")
        for message in key_messages:
            if head == "targets" and index.isdigit() and int(index) < len(target_keys):
                form.add_error(target_keys[int(index)] + ("_calendar" if field == "calendar" else ""), message)
            elif head == "escalations" and index.isdigit() and int(index) < len(rule_forms):
                row = rule_forms[int(index)]
                row.add_error(field if field in row.fields else None, message)
            elif key in form.fields:
                form.add_error(key, message)
            else:
                form.add_error(None, f"{key.replace('_', ' ').capitalize()}: {message}")


@admin_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, pk=None):
    policy = get_object_or_404(Policy, pk=pk) if pk else None
    form = PolicyForm(request.POST or None, policy=policy)
    formset = EscalationFormSet(request.POST or None, prefix="escalations", initial=escalation_initial(policy))
    # Both validated, so every row's problems show at once.
    valid = [form.is_valid(), formset.is_valid()] if request.method == "POST" else [False]
    if all(valid):
        targets, target_keys = form.targets()
        rule_forms = [f for f in formset.forms
                      if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("action")]
        try:
            saved = configuration.save_policy(by=request.user, policy=policy, **form.service_fields(),
                                              targets=targets, escalations=[f.rule() for f in rule_forms])
        except TicketError as exc:
            _add_policy_errors(form, rule_forms, target_keys, exc)
        else:
            messages.success(request, f"Policy {saved.name} saved. New tickets that match it get its targets.")
            return redirect("sla:policies")
    failed = bool(form.errors or any(f.errors for f in formset.forms) or formset.non_form_errors())
    return render(request, "sla/policy_edit.html", {
        "form": form, "formset": formset, "policy": policy, "tab": "sla_policies",
        "has_calendars": Calendar.objects.filter(is_24x7=False).exists(),
    }, status=400 if failed else 200)


@admin_required
@require_POST
def policy_delete(request, pk):
    policy = get_object_or_404(Policy, pk=pk)
    try:
        removal = configuration.delete_policy(by=request.user, policy=policy)
    except TicketError as exc:
        messages.error(request, exc.message)
        return redirect("sla:policy_edit", pk=policy.pk)
    (messages.success if removal.deleted else messages.info)(request, removal.message)
    return redirect("sla:policies")
