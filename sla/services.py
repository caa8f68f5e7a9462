"""SLA clocks: attach a policy to a ticket, pause, resume, stop, re-open, recompute.

Called by ``sla.listeners`` inside the ticket write's transaction, with the ticket
row locked, so a clock never disagrees with its ticket. Every change to a clock is
written on the ticket's timeline (an internal entry) and mirrored into the public
``DueClock`` index that the scanner reads.

Business time everywhere: the deadline is ``started_at`` + target + business time
spent paused, all on the clock's calendar. Pauses are kept as intervals, so a new
calendar (a priority change or a policy swap) re-measures them rather than losing them.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from sla import business_time, targets
from sla.due.models import DueClock
from sla.models import Clock, EscalationRule, Firing, Metric, Policy, Target
from sla.queries import schedule_for
from tenants import config_cache
from tickets.models import TimelineEntry, ticket_type_label
from tickets.services import record

BREACH = 100  # percent of the target: the breach itself


# -- matching ----------------------------------------------------------------------------------

def policy_matches(policy: Policy, ticket) -> bool:
    category_ids = {c.pk for c in policy.categories.all()}
    if category_ids and ticket.category_id not in category_ids:
        parent = getattr(ticket.category, "parent_id", None) if ticket.category_id else None
        if parent not in category_ids:
            return False
    if policy.channels and ticket.channel not in policy.channels:
        return False
    if policy.requester_vip:
        vip = bool(ticket.requester.is_vip)
        if vip != (policy.requester_vip == Policy.Vip.VIP):
            return False
    return True


def active_policies(ticket_type: str) -> list[Policy]:
    """A type's active policies in order, with categories, targets and calendars (cached per tenant).

    Shared by every thread of the process: read them, never change them.
    """
    return config_cache.get(f"sla.policies:{ticket_type}", lambda: list(
        Policy.objects.filter(ticket_type=ticket_type, is_active=True)
        .prefetch_related("categories", "targets__calendar").order_by("order", "id")))


def match_policy(ticket) -> Policy | None:
    """The first active policy for the ticket's type, by order, whose conditions all hold."""
    return next((p for p in active_policies(ticket_type_label(ticket)) if policy_matches(p, ticket)), None)


def pause_states(policy: Policy, ticket) -> frozenset[str]:
    return frozenset(policy.pause_states) if policy.pause_states else ticket.workflow.paused


def _target(policy: Policy, metric: str, priority: int) -> Target | None:
    return next((t for t in policy.targets.all() if t.metric == metric and t.priority == priority), None)


def _ticket_target(policy: Policy, metric: str, ticket) -> tuple[Target | None, int]:
    """The policy's target for the ticket (its calendar) and the duration that applies to this ticket.

    A ticket with a target of its own (``sla.targets``) keeps it whatever its priority; its calendar
    is that of the policy's target at the priority, else of the policy's first target of the metric.
    """
    target = _target(policy, metric, ticket.priority)
    own = targets.own_seconds(ticket, metric)
    if own is None:
        return target, target.duration_seconds if target else 0
    if target is None:
        target = next((t for t in policy.targets.all() if t.metric == metric), None)
    return target, own


# -- arithmetic on one clock ----------------------------------------------------------------

def _paused_seconds(clock: Clock) -> float:
    schedule = schedule_for(clock.calendar)
    total = 0.0
    for start, end in clock.pauses:
        if end is not None:
            total += business_time.between(schedule, parse_datetime(start), parse_datetime(end))
    return total


def threshold_moment(clock: Clock, percent: int) -> datetime:
    """When the clock will have used ``percent`` of its target, if it keeps running."""
    schedule = schedule_for(clock.calendar)
    return business_time.add(schedule, clock.started_at, clock.target_seconds * percent / 100 + clock.paused_seconds)


# (schema, policy id, policy.updated_at) -> {metric: [rules]}. Every policy edit bumps updated_at
# (sla.configuration), so the scanner reads a policy's rules once, not once per tenant batch.
_rules_cache: dict[tuple, dict[str, list[EscalationRule]]] = {}


def rules_for(clock: Clock) -> list[EscalationRule]:
    """The escalation rules of the clock's policy for its metric (cached by policy version)."""
    policy = clock.policy
    key = (connection.schema_name, policy.pk, policy.updated_at)
    by_metric = _rules_cache.get(key)
    if by_metric is None:
        if len(_rules_cache) >= 4096:
            _rules_cache.clear()
        by_metric = {}
        for rule in policy.escalations.select_related("group", "assignee").prefetch_related("users"):
            by_metric.setdefault(rule.metric, []).append(rule)
        _rules_cache[key] = by_metric
    return by_metric.get(clock.metric, [])


def thresholds(clock: Clock) -> list[int]:
    return sorted({BREACH, *(rule.threshold for rule in rules_for(clock))})


def _pending_thresholds(clock: Clock, fired_rule_ids: set[int]) -> list[int]:
    """Thresholds not yet dealt with: a rule at them has not fired (or, for 100%, the breach is unmarked)."""
    rules = rules_for(clock)
    return [percent for percent in thresholds(clock)
            if any(r.threshold == percent and r.pk not in fired_rule_ids for r in rules)
            or (percent == BREACH and not clock.breached_at)]


def mark_breached(clock: Clock) -> None:
    """The current deadline has passed: mark it, and keep the first breach for good."""
    clock.breached_at = clock.breached_at or clock.deadline
    clock.first_breached_at = clock.first_breached_at or clock.breached_at


def rearm(clock: Clock, *, now: datetime, fired_rule_ids: set[int] | None = None) -> None:
    """Recompute the deadline and the next due moment, and write both to the clock and the due index.

    Firings of thresholds that the new deadline has put back in the future are deleted, so they
    fire again when reached; those still in the past stay fired and do not repeat. Likewise the
    mark of the current deadline's breach is lifted, but ``first_breached_at`` stays: a breach
    that happened is never undone by moving the deadline.
    """
    clock.paused_seconds = _paused_seconds(clock)
    clock.deadline = threshold_moment(clock, BREACH)
    if fired_rule_ids is None:
        fired_rule_ids = set(clock.firings.values_list("rule_id", flat=True)) if clock.pk else set()
    future = {r.pk for r in rules_for(clock) if r.pk in fired_rule_ids and threshold_moment(clock, r.threshold) > now}
    if future:
        Firing.objects.filter(clock=clock, rule_id__in=future).delete()
        fired_rule_ids -= future
    if clock.breached_at and clock.deadline > now:
        clock.breached_at = None
    if clock.state == Clock.State.RUNNING:
        pending = _pending_thresholds(clock, fired_rule_ids)
        clock.next_check_at = threshold_moment(clock, pending[0]) if pending else None  # moments grow with percent
    else:
        clock.next_check_at = None


def sync_due(clocks) -> None:
    """Mirror clocks' next due moments into the public index: one upsert and one delete."""
    schema = connection.schema_name
    due = [c for c in clocks if c.next_check_at is not None]
    gone = [c.pk for c in clocks if c.next_check_at is None]
    if due:
        DueClock.objects.bulk_create(
            [DueClock(schema_name=schema, clock_id=c.pk, due_at=c.next_check_at) for c in due],
            update_conflicts=True, unique_fields=["schema_name", "clock_id"], update_fields=["due_at"])
    if gone:
        DueClock.objects.filter(schema_name=schema, clock_id__in=gone).delete()


def _note(ticket, body: str, **data) -> None:
    record(ticket, kind=TimelineEntry.Kind.SYSTEM, body=body, data={"sla": data})


def deadline_text(clock: Clock) -> str:
    """A deadline as the calendar's people read it: in the calendar's own zone (24x7: the tenant's)."""
    zone = schedule_for(clock.calendar).zone
    if clock.calendar.is_24x7:
        from zoneinfo import ZoneInfo

        from tenants.services import current_tenant

        tenant = current_tenant()
        if tenant is not None and tenant.time_zone:
            zone = ZoneInfo(tenant.time_zone)
    return clock.deadline.astimezone(zone).strftime("%a %d %b %Y %H:%M %Z")


def _fmt(seconds: float) -> str:
    from sla.formatting import format_duration

    return format_duration(seconds, exact=False)


# -- lifecycle ---------------------------------------------------------------------------------

def attach(ticket, *, now: datetime | None = None) -> list[Clock]:
    """Start the clocks of the matching policy on a new ticket (response unless already responded, resolution)."""
    now = now or timezone.now()
    policy = match_policy(ticket)
    if policy is None:
        return []
    clocks = []
    for metric in (Metric.RESPONSE, Metric.RESOLUTION):
        if metric == Metric.RESPONSE and ticket.first_response_at:
            continue
        target, seconds = _ticket_target(policy, metric, ticket)
        if target is None:
            continue
        clock = Clock(ticket_type=ticket_type_label(ticket), ticket_id=ticket.pk, metric=metric, policy=policy,
                      calendar=target.calendar, priority=ticket.priority, assignment_group_id=ticket.assignment_group_id,
                      target_seconds=seconds, started_at=ticket.opened_at)
        rearm(clock, now=now, fired_rule_ids=set())
        clocks.append(clock)
    if clocks:
        Clock.objects.bulk_create(clocks)
        sync_due(clocks)
        _note(ticket, f"SLA policy “{policy.name}” applied. "
              + "; ".join(f"{c.get_metric_display()} due {deadline_text(c)}" for c in clocks) + ".",
              event="attached", policy=policy.name,
              clocks=[{"metric": c.metric, "deadline": c.deadline.isoformat(), "target_seconds": c.target_seconds} for c in clocks])
    return clocks


def ticket_clocks(ticket, *, metrics=None) -> list[Clock]:
    qs = (Clock.objects.select_for_update(of=("self",))
          .filter(ticket_type=ticket_type_label(ticket), ticket_id=ticket.pk)
          .select_related("calendar", "policy"))
    if metrics:
        qs = qs.filter(metric__in=metrics)
    return list(qs.order_by("metric"))


def pause(ticket, clocks, *, now: datetime) -> None:
    changed = [c for c in clocks if c.state == Clock.State.RUNNING]
    for clock in changed:
        clock.state = Clock.State.PAUSED
        clock.pauses = [*clock.pauses, [now.isoformat(), None]]
        clock.next_check_at = None
        clock.save()
        _note(ticket, f"SLA {clock.get_metric_display().lower()} clock paused ({ticket.state_label}).",
              event="paused", metric=clock.metric, at=now.isoformat())
    sync_due(changed)


def resume(ticket, clocks, *, now: datetime) -> None:
    changed = [c for c in clocks if c.state == Clock.State.PAUSED]
    for clock in changed:
        old_deadline = clock.deadline
        start = clock.pauses[-1][0]
        clock.pauses = [*clock.pauses[:-1], [start, now.isoformat()]]
        clock.state = Clock.State.RUNNING
        rearm(clock, now=now)
        clock.save()
        moved = business_time.between(schedule_for(clock.calendar), old_deadline, clock.deadline)
        _note(ticket, f"SLA {clock.get_metric_display().lower()} clock resumed after {_fmt(moved)} of business time "
              f"on hold; now due {deadline_text(clock)}.",
              event="resumed", metric=clock.metric, deadline=clock.deadline.isoformat(), paused_business_seconds=moved)
    sync_due(changed)


def stop(ticket, clocks, *, now: datetime, cancelled: bool = False) -> None:
    changed = [c for c in clocks if c.state != Clock.State.STOPPED]
    for clock in changed:
        if clock.state == Clock.State.PAUSED:  # time on hold up to now does not count
            start = clock.pauses[-1][0]
            clock.pauses = [*clock.pauses[:-1], [start, now.isoformat()]]
            clock.paused_seconds = _paused_seconds(clock)
            clock.deadline = threshold_moment(clock, BREACH)
        clock.state = Clock.State.STOPPED
        clock.stopped_at = now
        clock.next_check_at = None
        if cancelled:
            clock.outcome = Clock.Outcome.CANCELLED
        elif now <= clock.deadline:
            clock.outcome = Clock.Outcome.MET
        else:
            clock.outcome = Clock.Outcome.BREACHED
            mark_breached(clock)
        clock.save()
        earlier = " after a re-target; the target was breached earlier and that stays on record" if clock.breached_earlier else ""
        _note(ticket, f"SLA {clock.get_metric_display().lower()} target {clock.get_outcome_display().lower()}{earlier}.",
              event="stopped", metric=clock.metric, outcome=clock.outcome, at=now.isoformat(),
              breached=clock.first_breached_at is not None)
    sync_due(changed)


def reopen(ticket, clocks, *, now: datetime) -> None:
    """A re-opened ticket resumes its resolution clock; the time it spent resolved does not count."""
    changed = [c for c in clocks if c.state == Clock.State.STOPPED and c.outcome != Clock.Outcome.CANCELLED]
    for clock in changed:
        clock.pauses = [*clock.pauses, [clock.stopped_at.isoformat(), now.isoformat()]]
        clock.state = Clock.State.RUNNING
        clock.outcome = Clock.Outcome.NONE
        clock.stopped_at = None
        rearm(clock, now=now)
        clock.save()
        _note(ticket, f"SLA {clock.get_metric_display().lower()} clock resumed on reopening; due {deadline_text(clock)}.",
              event="reopened", metric=clock.metric, deadline=clock.deadline.isoformat())
    sync_due(changed)


def restart(ticket, policy: Policy, metric: str, *, now: datetime) -> Clock | None:
    """Start (or restart) a clock that runs per cycle, such as next reply, from ``now``."""
    target = _target(policy, metric, ticket.priority)
    if target is None:
        return None
    clock = Clock.objects.select_for_update().filter(ticket_type=ticket_type_label(ticket), ticket_id=ticket.pk,
                                                     metric=metric).first()
    if clock is None:
        clock = Clock(ticket_type=ticket_type_label(ticket), ticket_id=ticket.pk, metric=metric)
    elif clock.state != Clock.State.STOPPED:
        return clock  # already waiting for the next reply
    else:
        clock.firings.all().delete()
    clock.policy, clock.calendar, clock.target_seconds = policy, target.calendar, target.duration_seconds
    clock.priority, clock.assignment_group_id = ticket.priority, ticket.assignment_group_id
    clock.started_at, clock.pauses, clock.state = now, [], Clock.State.RUNNING
    # A new cycle: the previous cycle's outcome was final when it stopped.
    clock.outcome, clock.stopped_at, clock.breached_at, clock.first_breached_at = Clock.Outcome.NONE, None, None, None
    if ticket.state in pause_states(policy, ticket):
        clock.state, clock.pauses = Clock.State.PAUSED, [[now.isoformat(), None]]
    rearm(clock, now=now, fired_rule_ids=set())
    clock.save()
    sync_due([clock])
    _note(ticket, f"SLA next reply due {deadline_text(clock)}.", event="started", metric=metric,
          deadline=clock.deadline.isoformat())
    return clock


def recompute(ticket, *, now: datetime | None = None) -> list[Clock]:
    """Priority or matching conditions changed: re-match the policy and re-target the open clocks.

    The target is recomputed from the ticket's open time (as peers do), keeping every
    pause. A deadline put back in the future is watched again, but a breach that already
    happened stays recorded (``first_breached_at``).
    """
    now = now or timezone.now()
    existing = ticket_clocks(ticket)
    clocks = [c for c in existing if c.state != Clock.State.STOPPED]
    if not clocks:  # no policy matched before: one may now
        return attach(ticket, now=now) if not existing and ticket.is_open else []
    policy = match_policy(ticket) or clocks[0].policy
    changed = []
    for clock in clocks:
        first_breached = clock.first_breached_at
        target, seconds = _ticket_target(policy, clock.metric, ticket)
        if target is None and policy != clock.policy:
            target, seconds = _ticket_target(clock.policy, clock.metric, ticket)
        if target is None:
            continue
        if clock.deadline < (clock.open_pause_since or now):  # passed before the tick noticed: still a breach
            mark_breached(clock)
        before = (clock.policy_id, clock.target_seconds, clock.calendar_id, clock.deadline, clock.breached_at)
        if policy.pk != clock.policy_id and _ticket_target(policy, clock.metric, ticket)[0]:
            clock.policy = policy
        clock.calendar, clock.target_seconds, clock.priority = target.calendar, seconds, ticket.priority
        rearm(clock, now=now)
        if (clock.policy_id, clock.target_seconds, clock.calendar_id, clock.deadline, clock.breached_at) != before \
                or clock.first_breached_at != first_breached:
            clock.save()
            changed.append(clock)
            earlier = " It was breached earlier; that stays on record." if clock.breached_earlier else ""
            _note(ticket, f"SLA {clock.get_metric_display().lower()} target now {_fmt(clock.target_seconds)} "
                  f"({clock.policy.name}, P{ticket.priority}); due {deadline_text(clock)}.{earlier}",
                  event="recomputed", metric=clock.metric, policy=clock.policy.name,
                  target_seconds=clock.target_seconds, deadline=clock.deadline.isoformat(),
                  breached=bool(clock.breached_at), breached_earlier=clock.breached_earlier)
    sync_due(changed)
    return changed


def recheck_policy(policy: Policy, *, now: datetime | None = None) -> int:
    """After a policy's escalation rules change, make its running clocks due now.

    The next tick re-arms each of them against the new rules (taking the ticket and clock
    locks in the usual order); rules whose threshold has already passed fire then. Paused
    clocks re-arm when they resume. One statement, whatever the number of clocks.
    """
    from django.db.models import Subquery

    running = Clock.objects.filter(policy=policy, state=Clock.State.RUNNING).values("pk")
    return DueClock.objects.filter(schema_name=connection.schema_name, clock_id__in=Subquery(running)).update(
        due_at=now or timezone.now())


def set_group(ticket) -> None:
    Clock.objects.filter(ticket_type=ticket_type_label(ticket), ticket_id=ticket.pk).exclude(
        assignment_group_id=ticket.assignment_group_id).update(assignment_group_id=ticket.assignment_group_id)
