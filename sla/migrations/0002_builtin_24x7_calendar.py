from django.db import migrations


def create_24x7(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    Calendar.objects.get_or_create(is_24x7=True, defaults={"name": "24x7", "time_zone": "UTC",
                                                           "description": "Round the clock, every day of the year."})


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(create_24x7, migrations.RunPython.noop)]
