"""The demo tenants' SLA set-up: an office-hours calendar with the country's public holidays,
a standard policy and a stricter one for VIPs, each with a warning and escalation ladder."""

from __future__ import annotations

from django.utils import timezone

from sla import configuration
from sla.models import Calendar, Metric

HOUR, MINUTE = 3600, 60
# The public holidays imported for each demo zone: (country, subdivision).
HOLIDAY_REGIONS = {"Europe/London": ("GB", "ENG"), "America/New_York": ("US", "NY"), "Europe/Berlin": ("DE", "BE")}

# priority -> (first response, resolution, next reply, calendar: "24x7" or "office"); office days are 9 hours.
STANDARD = {
    1: (15 * MINUTE, 4 * HOUR, 1 * HOUR, "24x7"),
    2: (30 * MINUTE, 9 * HOUR, 2 * HOUR, "office"),
    3: (2 * HOUR, 18 * HOUR, 4 * HOUR, "office"),
    4: (4 * HOUR, 27 * HOUR, 8 * HOUR, "office"),
    5: (9 * HOUR, 45 * HOUR, 9 * HOUR, "office"),
}


def configure(tenant, *, admin) -> None:
    if Calendar.objects.filter(name="Office hours").exists():
        return
    office = configuration.save_calendar(
        by=admin, name="Office hours", time_zone=tenant.time_zone,
        description="Monday to Friday 08:30-17:30 local time, public holidays off.",
        hours=[(day, 8 * 60 + 30, 17 * 60 + 30) for day in range(5)], holidays=[])
    region = HOLIDAY_REGIONS.get(tenant.time_zone)
    if region:
        year = timezone.now().year
        configuration.import_holidays(by=admin, calendar=office, country=region[0], subdivision=region[1],
                                      years=[year, year + 1])
    always = Calendar.objects.get(is_24x7=True)
    calendars = {"24x7": always, "office": office}
    ladder = [
        {"metric": Metric.RESPONSE, "threshold": 100, "action": "notify_group"},
        {"metric": Metric.RESOLUTION, "threshold": 75, "action": "notify_assignee"},
        {"metric": Metric.RESOLUTION, "threshold": 90, "action": "notify_group"},
        {"metric": Metric.RESOLUTION, "threshold": 100, "action": "notify_manager"},
        {"metric": Metric.RESOLUTION, "threshold": 100, "action": "raise_priority"},
    ]
    for name, order, vip, factor in (("VIP support", 10, "vip", 0.5), ("Standard support", 100, "", 1)):
        targets = []
        for priority, (response, resolution, next_reply, calendar) in STANDARD.items():
            for metric, seconds in ((Metric.RESPONSE, response), (Metric.RESOLUTION, resolution),
                                    (Metric.NEXT_REPLY, next_reply)):
                targets.append({"metric": metric, "priority": priority, "duration_seconds": max(300, round(seconds * factor / 300) * 300),
                                "calendar": calendars[calendar]})
        configuration.save_policy(
            by=admin, name=name, ticket_type="incidents.incident", order=order, requester_vip=vip,
            description=f"{'Halved targets for VIP requesters' if vip else 'Targets for every other incident'}; "
                        "P1 round the clock, the rest in office hours.",
            targets=targets, escalations=ladder)



def configure_requests(*, admin) -> None:
    """Requested items: their resolution target is their catalogue item's delivery time (sla.targets);
    this policy gives the office-hours calendar it is counted on, and a default of five working days."""
    from sla.models import Policy

    if Policy.objects.filter(ticket_type="service_requests.requesteditem").exists():
        return
    office = Calendar.objects.get(name="Office hours")
    configuration.save_policy(
        by=admin, name="Service requests", ticket_type="service_requests.requesteditem", order=100,
        description="Delivery in office hours: each catalogue item's expected delivery time, else five days.",
        pause_states=["awaiting_approval"],
        targets=[{"metric": Metric.RESOLUTION, "priority": priority, "duration_seconds": 45 * HOUR, "calendar": office}
                 for priority in range(1, 6)],
        escalations=[{"metric": Metric.RESOLUTION, "threshold": 75, "action": "notify_group"}])
