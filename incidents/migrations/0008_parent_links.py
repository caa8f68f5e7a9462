"""Parent and child incidents become "parent of" ticket links (tickets.links); the column goes."""

from django.db import migrations


def parents_to_links(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    TicketLink = apps.get_model("tickets", "TicketLink")
    TicketLink.objects.bulk_create([
        TicketLink(kind="parent", source_type="incidents.incident", source_id=parent_id,
                   target_type="incidents.incident", target_id=child_id)
        for child_id, parent_id in Incident.objects.filter(parent__isnull=False).values_list("pk", "parent_id")
    ], ignore_conflicts=True)


def links_to_parents(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    TicketLink = apps.get_model("tickets", "TicketLink")
    links = TicketLink.objects.filter(kind="parent", source_type="incidents.incident", target_type="incidents.incident")
    for child_id, parent_id in links.values_list("target_id", "source_id"):
        Incident.objects.filter(pk=child_id).update(parent_id=parent_id)
    links.delete()


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0007_alter_incident_resolution_code'),
        ('tickets', '0005_ticket_links'),
    ]

    operations = [
        migrations.RunPython(parents_to_links, links_to_parents),
        migrations.RemoveIndex(
            model_name='incident',
            name='inc_parent_idx',
        ),
        migrations.RemoveField(
            model_name='incident',
            name='parent',
        ),
    ]
