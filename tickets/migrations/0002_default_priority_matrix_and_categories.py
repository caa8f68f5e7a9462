from django.db import migrations

MATRIX = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}
CATEGORIES = {
    "Hardware": ["Laptop", "Desktop", "Printer", "Mobile device"],
    "Software": ["Email", "Office apps", "Business application", "Operating system"],
    "Network": ["VPN", "Wi-Fi", "Internet access"],
    "Access": ["Password reset", "Account locked", "Permissions"],
}


def seed(apps, schema_editor):
    PriorityMatrixEntry = apps.get_model("tickets", "PriorityMatrixEntry")
    Category = apps.get_model("tickets", "Category")
    for (impact, urgency), priority in MATRIX.items():
        PriorityMatrixEntry.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})
    for parent_name, children in CATEGORIES.items():
        parent, _ = Category.objects.get_or_create(name=parent_name, parent=None)
        for child in children:
            Category.objects.get_or_create(name=child, parent=parent)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
