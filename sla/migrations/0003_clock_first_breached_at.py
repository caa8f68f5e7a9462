"""A breach is kept forever: ``Clock.first_breached_at``.

Backfilled from what the clocks still say (a marked breach, a breached outcome) and, for breaches
that a re-target had already erased, from the timeline's breach and escalation notes (at or over
100% of the target) written while the clock ran; their time is when the tick noticed the breach.
"""

from django.db import migrations, models
from django.db.models import F, Q


def backfill(apps, schema_editor):
    Clock = apps.get_model("sla", "Clock")
    TimelineEntry = apps.get_model("tickets", "TimelineEntry")
    Clock.objects.filter(first_breached_at__isnull=True, breached_at__isnull=False).update(first_breached_at=F("breached_at"))
    Clock.objects.filter(first_breached_at__isnull=True, outcome="breached").update(first_breached_at=F("deadline"))
    noticed = (TimelineEntry.objects.filter(kind="system")
               .filter(Q(data__sla__event="breached") | Q(data__sla__event="escalation", data__sla__threshold__gte=100))
               .values_list("ticket_type", "ticket_id", "data__sla__metric", "created_at").order_by("created_at"))
    first: dict[tuple, list] = {}
    for ticket_type, ticket_id, metric, created_at in noticed.iterator():
        first.setdefault((ticket_type, ticket_id, metric), []).append(created_at)
    if not first:
        return
    for clock in Clock.objects.filter(first_breached_at__isnull=True).only("pk", "ticket_type", "ticket_id", "metric",
                                                                             "started_at").iterator():
        # A next-reply clock restarts per cycle: only notes of the current cycle count.
        moments = [m for m in first.get((clock.ticket_type, clock.ticket_id, clock.metric), ()) if m >= clock.started_at]
        if moments:
            Clock.objects.filter(pk=clock.pk).update(first_breached_at=moments[0])


class Migration(migrations.Migration):
    dependencies = [("sla", "0002_builtin_24x7_calendar"), ("tickets", "0003_ticket_type_label")]
    operations = [
        migrations.AddField(model_name="clock", name="first_breached_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
