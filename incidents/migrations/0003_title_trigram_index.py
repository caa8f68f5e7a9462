from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_initial")]
    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS inc_title_trgm_idx ON incidents_incident USING gin (UPPER(title) public.gin_trgm_ops)",
            "DROP INDEX IF EXISTS inc_title_trgm_idx",
        )
    ]
