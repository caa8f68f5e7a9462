from django.db import migrations


class Migration(migrations.Migration):
    """Covering partial index for ``incidents.queries.queue_counters`` (the agent queue's counters).

    Measured at 1M incidents / 50k open (bench/README.md): the counters' aggregate fell
    from a 45 ms bitmap heap scan over ~9,300 pages to a 16 ms index-only scan. ``id``
    is in the key because the counters use COUNT("id"). RunSQL, like 0003, so model
    state is unchanged.
    """

    dependencies = [("incidents", "0003_title_trigram_index")]
    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS inc_open_counters_idx ON incidents_incident (priority, assignee_id, is_major, id) "
            "WHERE state IN ('in_progress', 'new', 'on_hold')",
            "DROP INDEX IF EXISTS inc_open_counters_idx",
        )
    ]
