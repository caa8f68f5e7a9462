"""SLA fixtures: an office-hours calendar and a policy builder (rows created directly, as the engine reads them)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sla.models import Calendar, EscalationRule, Metric, Policy, Target, WorkingHours

BERLIN = ZoneInfo("Europe/Berlin")


def office_hours(name="Office hours", time_zone="Europe/Berlin", spans=((540, 1020),), days=range(5)) -> Calendar:
    """Mon-Fri 09:00-17:00 unless told otherwise."""
    calendar = Calendar.objects.create(name=name, time_zone=time_zone)
    WorkingHours.objects.bulk_create([WorkingHours(calendar=calendar, weekday=d, start_minute=s, end_minute=e)
                                      for d in days for s, e in spans])
    return calendar


@pytest.fixture
def office(tenant):
    return office_hours()


@pytest.fixture
def make_policy(tenant):
    def factory(calendar, *, targets, escalations=(), name="Standard", order=100, **fields):
        """targets: {(metric, priority): seconds}; escalations: [(metric, threshold, action, {group/assignee/users})]."""
        policy = Policy.objects.create(name=name, order=order, **fields)
        Target.objects.bulk_create([Target(policy=policy, metric=m, priority=p, duration_seconds=s, calendar=calendar)
                                    for (m, p), s in targets.items()])
        for metric, threshold, action, *extra in escalations:
            options = dict(extra[0]) if extra else {}
            users = options.pop("users", ())
            rule = EscalationRule.objects.create(policy=policy, metric=metric, threshold=threshold, action=action, **options)
            rule.users.set(users)
        return policy

    return factory


def local(*args, zone=BERLIN) -> datetime:
    return datetime(*args, tzinfo=zone)


__all__ = ["office_hours", "local", "BERLIN", "Metric"]
