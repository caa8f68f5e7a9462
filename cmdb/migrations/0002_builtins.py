"""The built-in classes (with their attributes) and relationship types, from cmdb.builtins."""

from django.db import migrations

from cmdb.builtins import CLASSES, RELATIONSHIP_TYPES


def create(apps, schema_editor):
    CIClass = apps.get_model("cmdb", "CIClass")
    AttributeDefinition = apps.get_model("cmdb", "AttributeDefinition")
    RelationshipType = apps.get_model("cmdb", "RelationshipType")
    by_key = {}
    for key, name, parent, is_service, attributes in CLASSES:
        ci_class = CIClass.objects.create(key=key, name=name, parent=by_key.get(parent),
                                          is_business_service=is_service, is_builtin=True)
        by_key[key] = ci_class
        for order, (attr, label, type_, extra) in enumerate(attributes):
            AttributeDefinition.objects.create(ci_class=ci_class, name=attr, label=label, type=type_,
                                               choices=extra.get("choices", []), order=order)
    for key, name, reverse, impact, cycles, sources, targets in RELATIONSHIP_TYPES:
        rel_type = RelationshipType.objects.create(key=key, name=name, reverse_name=reverse, impact=impact,
                                                   allows_cycles=cycles, is_builtin=True)
        rel_type.source_classes.set([by_key[k] for k in sources])
        rel_type.target_classes.set([by_key[k] for k in targets])


class Migration(migrations.Migration):

    dependencies = [("cmdb", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
