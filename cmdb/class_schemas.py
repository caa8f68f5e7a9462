"""Every class with its whole attribute schema (its ancestors' attributes first, each naming its class).

Two queries whatever the number of classes: the classes, then every attribute definition; lineage is
walked in Python over the parent links already read (classes are a tenant's few hundred at most).
"""

from __future__ import annotations

from dataclasses import dataclass

from cmdb.models import AttributeDefinition, CIClass

MAX_LINEAGE = 50  # as cmdb.queries: a parent loop (impossible through the services) cannot hang a request


@dataclass
class ClassSchema:
    ci_class: CIClass
    lineage: list[CIClass]  # root first, the class last
    attributes: list[dict]

    def __getattr__(self, name):  # the class's own fields (id, key, name ...) for serializers
        return getattr(self.ci_class, name)

    @property
    def parent_key(self) -> str | None:
        return self.lineage[-2].key if len(self.lineage) > 1 else None

    @property
    def lineage_keys(self) -> list[str]:
        return [c.key for c in self.lineage]

    @property
    def counts_as_business_service(self) -> bool:
        return any(c.is_business_service for c in self.lineage)


def _attribute(definition: AttributeDefinition, defined_by: CIClass, classes: dict[int, CIClass], own: CIClass) -> dict:
    reference = classes.get(definition.reference_class_id)
    return {"name": definition.name, "label": definition.label, "type": definition.type,
            "required": definition.required, "choices": list(definition.choices or []),
            "reference_class": reference.key if reference is not None else None,
            "max_length": definition.max_length, "help_text": definition.help_text,
            "defined_by": defined_by.key, "inherited": defined_by.pk != own.pk}


def class_schemas(class_ids=None) -> list[ClassSchema]:
    """The schemas of ``class_ids`` (default: every class), in name order."""
    classes = {c.pk: c for c in CIClass.objects.all()}
    definitions: dict[int, list[AttributeDefinition]] = {}
    for definition in AttributeDefinition.objects.order_by("order", "id"):
        definitions.setdefault(definition.ci_class_id, []).append(definition)
    wanted = classes.values() if class_ids is None else [classes[pk] for pk in class_ids if pk in classes]
    schemas = []
    for ci_class in sorted(wanted, key=lambda c: c.name.lower()):
        lineage, current = [], ci_class
        while current is not None and len(lineage) < MAX_LINEAGE:
            lineage.insert(0, current)
            current = classes.get(current.parent_id)
        attributes = [_attribute(d, c, classes, ci_class) for c in lineage for d in definitions.get(c.pk, [])]
        schemas.append(ClassSchema(ci_class, lineage, attributes))
    return schemas
