"""Tenant admins shape the CMDB: classes, their attribute definitions, relationship types.

Built-in classes, their attributes and relationship types (``cmdb.builtins``) can be extended and renamed,
never deleted: imports and the API rely on their keys. Every rule lives here so the desk settings and any
future API refuse the same things with the same messages.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Length
from django.utils.text import slugify

from cmdb import builtins, queries
from cmdb.models import CI, AttributeDefinition, CIClass, CIHistory, RelationshipType
from core.exceptions import NotPermitted, ValidationFailed

BUILTIN_ATTRIBUTES = {key: {attribute[0] for attribute in attrs} for key, _name, _parent, _bs, attrs in builtins.CLASSES}


def check_admin(by) -> None:
    if not getattr(by, "is_tenant_admin", False):
        raise NotPermitted("Only tenant admins may change the CMDB's classes and relationship types.")


def _unique_key(model, name: str) -> str:
    base = slugify(name).replace("-", "_")[:50] or "custom"
    key, n = base, 1
    while model.objects.filter(key=key).exists():
        n += 1
        key = f"{base}_{n}"
    return key


def _check_name(model, name: str, instance=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A name is required.", fields={"name": ["Enter a name."]})
    clash = model.objects.filter(name__iexact=name)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationFailed("The name is taken.", fields={"name": [f"“{name}” is already used."]})
    return name


# Classes ---------------------------------------------------------------------------------------------------

@transaction.atomic
def create_class(*, by, name: str, parent: CIClass | None, description: str = "",
                 is_business_service: bool = False) -> CIClass:
    check_admin(by)
    name = _check_name(CIClass, name)
    return CIClass.objects.create(key=_unique_key(CIClass, name), name=name, parent=parent,
                                  description=(description or "").strip(), is_business_service=is_business_service)


@transaction.atomic
def update_class(ci_class: CIClass, *, by, name: str, description: str = "",
                 is_business_service: bool | None = None) -> CIClass:
    """Rename or describe a class. Its place in the tree stays: moving it would change the attributes its CIs carry."""
    check_admin(by)
    ci_class = CIClass.objects.select_for_update().get(pk=ci_class.pk)
    ci_class.name = _check_name(CIClass, name, ci_class)
    ci_class.description = (description or "").strip()
    if is_business_service is not None and not ci_class.is_builtin:
        ci_class.is_business_service = is_business_service
    ci_class.save()
    return ci_class


def deletion_blockers(ci_class: CIClass) -> list[str]:
    """Why a class cannot be deleted ([] if it can)."""
    if ci_class.is_builtin:
        return ["Built-in classes cannot be deleted: imports and the API rely on them."]
    reasons = []
    cis = CI.objects.filter(ci_class=ci_class).count()
    if cis:
        reasons.append(f"{cis} CI{'s' if cis != 1 else ''} belong{'s' if cis == 1 else ''} to this class.")
    if ci_class.children.exists():
        reasons.append("It has subclasses; delete or keep them first.")
    if AttributeDefinition.objects.filter(reference_class=ci_class).exists():
        reasons.append("A reference attribute points at this class.")
    # Deleting the class would drop it from the type's allowed classes, and an emptied list means "any class".
    limiting = RelationshipType.objects.filter(Q(source_classes=ci_class) | Q(target_classes=ci_class)).distinct()
    if limiting.exists():
        names = ", ".join(sorted(t.name for t in limiting))
        reasons.append(f"Relationship types limit their ends to this class: {names}.")
    return reasons


@transaction.atomic
def delete_class(ci_class: CIClass, *, by) -> None:
    check_admin(by)
    ci_class = CIClass.objects.select_for_update().get(pk=ci_class.pk)
    reasons = deletion_blockers(ci_class)
    if reasons:
        raise ValidationFailed("This class cannot be deleted. " + " ".join(reasons), fields={"class": reasons})
    ci_class.delete()


# Attribute definitions -------------------------------------------------------------------------------------

def is_builtin_attribute(definition: AttributeDefinition) -> bool:
    return definition.ci_class.is_builtin and definition.name in BUILTIN_ATTRIBUTES.get(definition.ci_class.key, ())


def _related_class_ids(ci_class: CIClass) -> set[int]:
    """The class, its ancestors and its descendants: where an attribute name must be unique."""
    return {c.pk for c in queries.lineage(ci_class)} | queries.descendant_ids([ci_class.pk])


def _holders(definition: AttributeDefinition):
    """CIs that carry a value for this attribute (of its class or any class below)."""
    return CI.objects.filter(ci_class__in=queries.descendant_ids([definition.ci_class_id]),
                             attributes__has_key=definition.name)


def _clean_shape(*, type: str, choices, reference_class, max_length) -> dict:
    errors = {}
    if type not in AttributeDefinition.Type.values:
        errors["type"] = ["Choose a type."]
    choices = [str(choice).strip() for choice in (choices or []) if str(choice).strip()]
    if type == AttributeDefinition.Type.CHOICE:
        if not choices:
            errors["choices"] = ["A choice attribute needs at least one choice."]
        elif len(set(choices)) != len(choices):
            errors["choices"] = ["Each choice may appear once."]
    else:
        choices = []
    if type != AttributeDefinition.Type.REFERENCE:
        reference_class = None
    if type != AttributeDefinition.Type.STRING:
        max_length = None
    if errors:
        raise ValidationFailed("The attribute is not valid.", fields=errors)
    return {"type": type, "choices": choices, "reference_class": reference_class, "max_length": max_length}


@transaction.atomic
def add_attribute(*, by, ci_class: CIClass, name: str, label: str, type: str, required: bool = False,
                  choices=None, reference_class: CIClass | None = None, max_length: int | None = None,
                  help_text: str = "", order: int = 0) -> AttributeDefinition:
    check_admin(by)
    CIClass.objects.select_for_update().filter(pk=ci_class.pk).first()
    name = (name or "").strip().lower()
    errors = {}
    if not name or slugify(name).replace("-", "_") != name:
        errors["name"] = ["Use lower-case letters, digits and underscores (e.g. rack_position)."]
    elif AttributeDefinition.objects.filter(ci_class__in=_related_class_ids(ci_class), name=name).exists():
        owner = AttributeDefinition.objects.filter(ci_class__in=_related_class_ids(ci_class), name=name).first().ci_class
        errors["name"] = [f"“{name}” is already an attribute of {owner}, which shares CIs with {ci_class}."]
    if not (label or "").strip():
        errors["label"] = ["Enter a label."]
    if errors:
        raise ValidationFailed("The attribute is not valid.", fields=errors)
    shape = _clean_shape(type=type, choices=choices, reference_class=reference_class, max_length=max_length)
    if required and CI.objects.filter(ci_class__in=queries.descendant_ids([ci_class.pk])).exists():
        raise ValidationFailed("A required attribute would break existing CIs.", fields={"required": [
            f"CIs of {ci_class} exist without a value; add it as optional, fill it in, then make it required."]})
    try:
        with transaction.atomic():
            return AttributeDefinition.objects.create(ci_class=ci_class, name=name, label=label.strip(),
                                                      required=required, help_text=(help_text or "").strip(),
                                                      order=order or 0, **shape)
    except IntegrityError:
        raise ValidationFailed("The attribute is not valid.", fields={"name": [f"“{name}” exists already."]}) from None


@transaction.atomic
def update_attribute(definition: AttributeDefinition, *, by, label: str, type: str | None = None,
                     required: bool = False, choices=None, reference_class: CIClass | None = None,
                     max_length: int | None = None, help_text: str = "", order: int = 0) -> AttributeDefinition:
    """Change an attribute. Its name stays (CIs hold values under it); a built-in keeps its type too.

    A change that existing values would not fit is refused, naming how many CIs are in the way.
    """
    check_admin(by)
    definition = AttributeDefinition.objects.select_for_update().select_related("ci_class").get(pk=definition.pk)
    if not (label or "").strip():
        raise ValidationFailed("The attribute is not valid.", fields={"label": ["Enter a label."]})
    if is_builtin_attribute(definition):
        type, choices, reference_class = definition.type, definition.choices, definition.reference_class
        max_length = definition.max_length
    shape = _clean_shape(type=type or definition.type, choices=choices, reference_class=reference_class,
                         max_length=max_length)
    holders = _holders(definition)
    errors = {}
    if shape["type"] != definition.type and holders.exists():
        errors["type"] = [f"{holders.count()} CI(s) hold a value of this attribute; its type cannot change."]
    if shape["type"] == AttributeDefinition.Type.CHOICE and definition.type == shape["type"]:
        removed = set(definition.choices) - set(shape["choices"])
        using = holders.filter(Q(*[Q(attributes__contains={definition.name: value}) for value in removed],
                                 _connector=Q.OR)).count() if removed else 0
        if using:
            errors["choices"] = [f"{using} CI(s) use a choice you removed ({', '.join(sorted(removed))})."]
    if (shape["type"] == AttributeDefinition.Type.REFERENCE and shape["reference_class"] is not None
            and shape["reference_class"] != definition.reference_class and holders.exists()):
        errors["reference_class"] = ["CIs hold references under this attribute; its class cannot change."]
    if (shape["type"] == AttributeDefinition.Type.STRING and shape["max_length"]
            and (shape["max_length"] or 0) < (definition.max_length or 10**9)):
        longer = holders.annotate(value_length=Length(KeyTextTransform(definition.name, "attributes"))).filter(
            value_length__gt=shape["max_length"]).count()
        if longer:
            errors["max_length"] = [f"{longer} CI(s) hold a longer value."]
    if required and not definition.required:
        missing = CI.objects.filter(ci_class__in=queries.descendant_ids([definition.ci_class_id])).exclude(
            attributes__has_key=definition.name).count()
        if missing:
            errors["required"] = [f"{missing} CI(s) have no value; fill them in before making it required."]
    if errors:
        raise ValidationFailed("This change would break existing CIs.", fields=errors)
    definition.label = label.strip()
    definition.required = required
    definition.help_text = (help_text or "").strip()
    definition.order = order or 0
    for field, value in shape.items():
        setattr(definition, field, value)
    definition.save()
    return definition


@transaction.atomic
def delete_attribute(definition: AttributeDefinition, *, by) -> int:
    """Remove a custom attribute and its values from every CI (each CI's history says so); returns how many."""
    check_admin(by)
    definition = AttributeDefinition.objects.select_for_update().select_related("ci_class").get(pk=definition.pk)
    if is_builtin_attribute(definition):
        raise ValidationFailed("Built-in attributes cannot be deleted.", fields={
            "attribute": [f"“{definition.label}” is built in: imports and the API rely on it."]})
    holders = list(_holders(definition).select_for_update().only("pk", "attributes"))
    history = []
    for ci in holders:
        old = ci.attributes.pop(definition.name, None)
        history.append(CIHistory(ci=ci, kind=CIHistory.Kind.UPDATED, author=by, source="schema", data={"changes": [
            {"field": f"attributes.{definition.name}", "label": definition.name, "old": old, "new": None}]}))
    if holders:
        CI.objects.bulk_update(holders, ["attributes"])
        CIHistory.objects.bulk_create(history)
    definition.delete()
    return len(holders)


# Relationship types ----------------------------------------------------------------------------------------

@transaction.atomic
def save_relationship_type(*, by, relationship_type: RelationshipType | None = None, name: str, reverse_name: str,
                           impact: str, allows_cycles: bool = False, source_classes=(), target_classes=()
                           ) -> RelationshipType:
    """Create a type or change one; a built-in type keeps its key (impact paths and imports name it)."""
    check_admin(by)
    if relationship_type is not None:
        relationship_type = RelationshipType.objects.select_for_update().get(pk=relationship_type.pk)
    errors = {}
    try:
        name = _check_name(RelationshipType, name, relationship_type)
    except ValidationFailed as error:
        errors.update(error.fields)
    if not (reverse_name or "").strip():
        errors["reverse_name"] = ["Enter how the relationship reads from its target (e.g. “used by”)."]
    if impact not in RelationshipType.Impact.values:
        errors["impact"] = ["Choose how impact propagates."]
    if errors:
        raise ValidationFailed("The relationship type is not valid.", fields=errors)
    if relationship_type is None:
        relationship_type = RelationshipType(key=_unique_key(RelationshipType, name))
    relationship_type.name = name
    relationship_type.reverse_name = reverse_name.strip()
    relationship_type.impact = impact
    relationship_type.allows_cycles = allows_cycles
    relationship_type.save()
    relationship_type.source_classes.set(source_classes)
    relationship_type.target_classes.set(target_classes)
    return relationship_type
