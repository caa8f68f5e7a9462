"""Name ticket types by model label instead of a ContentType id.

Content-type ids are allocated per schema by post_migrate, so a tenant created
after a new app was added can number them differently from an older tenant,
while the ContentType cache is shared by all schemas of one connection.
"""

from django.db import migrations, models

COPY_LABELS = """
UPDATE {table} t SET ticket_label = ct.app_label || '.' || ct.model
FROM django_content_type ct WHERE ct.id = t.ticket_type_id
"""


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_default_priority_matrix_and_categories"), ("contenttypes", "0002_remove_content_type_name")]

    operations = [
        migrations.RemoveIndex(model_name="timelineentry", name="timeline_ticket_idx"),
        migrations.RemoveIndex(model_name="attachment", name="attachment_ticket_idx"),
        migrations.AddField(model_name="timelineentry", name="ticket_label", field=models.CharField(default="", max_length=60)),
        migrations.AddField(model_name="attachment", name="ticket_label", field=models.CharField(default="", max_length=60)),
        migrations.RunSQL(COPY_LABELS.format(table="tickets_timelineentry"), migrations.RunSQL.noop),
        migrations.RunSQL(COPY_LABELS.format(table="tickets_attachment"), migrations.RunSQL.noop),
        migrations.RemoveField(model_name="timelineentry", name="ticket_type"),
        migrations.RemoveField(model_name="attachment", name="ticket_type"),
        migrations.RenameField(model_name="timelineentry", old_name="ticket_label", new_name="ticket_type"),
        migrations.RenameField(model_name="attachment", old_name="ticket_label", new_name="ticket_type"),
        migrations.AlterField(model_name="timelineentry", name="ticket_type", field=models.CharField(max_length=60)),
        migrations.AlterField(model_name="attachment", name="ticket_type", field=models.CharField(max_length=60)),
        migrations.AddIndex(model_name="timelineentry", index=models.Index(fields=["ticket_type", "ticket_id", "created_at"], name="timeline_ticket_idx")),
        migrations.AddIndex(model_name="attachment", index=models.Index(fields=["ticket_type", "ticket_id"], name="attachment_ticket_idx")),
    ]
