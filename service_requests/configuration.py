"""Tenant admins build the catalogue: categories, items, their form's variables and fulfilment task templates.

Every write checks the whole definition before anything is saved: a variable is checked with its
siblings (service_requests.variables.definition_errors), so a form can never hold an unknown type, a
condition on a variable that does not exist, a cycle of conditions or a default that breaks its rules.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max

from core.exceptions import NotPermitted, ValidationFailed
from service_requests import variables
from service_requests.icons import ICONS
from service_requests.models import Audience, CatalogCategory, CatalogItem, CatalogVariable, FulfilmentTaskTemplate

CATEGORY_FIELDS = ("name", "description", "icon", "order", "is_active")
ITEM_FIELDS = ("category", "name", "icon", "short_description", "description", "audience", "departments", "price",
               "cost_centre", "approval_chain", "delivery_target_hours", "is_active", "order")
VARIABLE_FIELDS = ("name", "type", "label", "required", "help_text", "default", "choices", "regex", "min_value",
                   "max_value", "min_length", "max_length", "show_when", "order")
TASK_FIELDS = ("title", "description", "assignment_group", "step", "due_in_hours")


def _admin(by):
    if not getattr(by, "is_tenant_admin", False):
        raise NotPermitted("The catalogue is configured by tenant admins.")


def _unknown(values: dict, allowed) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationFailed("Some fields are not part of this form.",
                               fields={name: ["Unknown field."] for name in unknown})


def save_category(*, by, category: CatalogCategory | None = None, **values) -> CatalogCategory:
    _admin(by)
    _unknown(values, CATEGORY_FIELDS)
    category = category or CatalogCategory()
    for name, value in values.items():
        setattr(category, name, value.strip() if isinstance(value, str) else value)
    errors = {}
    if not category.name:
        errors["name"] = ["Name the category."]
    elif CatalogCategory.objects.filter(name__iexact=category.name).exclude(pk=category.pk).exists():
        errors["name"] = ["Another category has this name."]
    if category.icon not in ICONS:
        errors["icon"] = ["Choose one of the icons."]
    if errors:
        raise ValidationFailed("The category was not saved.", fields=errors)
    category.save()
    return category


def save_item(*, by, item: CatalogItem | None = None, groups=None, **values) -> CatalogItem:
    """Create or change an item; ``groups`` (assignment groups) with the "named groups" audience."""
    _admin(by)
    _unknown(values, ITEM_FIELDS)
    item = item or CatalogItem()
    for name, value in values.items():
        setattr(item, name, value.strip() if isinstance(value, str) else value)
    item.departments = sorted({d.strip() for d in item.departments or () if d and d.strip()})
    groups = list(groups) if groups is not None else (list(item.groups.all()) if item.pk else [])
    errors: dict[str, list[str]] = {}
    if not item.name:
        errors["name"] = ["Name the item."]
    if item.category_id is None:
        errors["category"] = ["Choose a category."]
    elif CatalogItem.objects.filter(category_id=item.category_id, name__iexact=item.name).exclude(pk=item.pk).exists():
        errors["name"] = ["Another item of this category has this name."]
    if item.icon not in ICONS:
        errors["icon"] = ["Choose one of the icons."]
    if item.audience == Audience.GROUPS and not groups:
        errors["groups"] = ["Name at least one group that may order it."]
    if item.audience == Audience.DEPARTMENTS and not item.departments:
        errors["departments"] = ["Name at least one department that may order it."]
    if item.approval_chain_id and not item.approval_chain.is_active:
        errors["approval_chain"] = ["This approval chain is not active."]
    if item.price is not None and item.price < 0:
        errors["price"] = ["A price cannot be negative."]
    if errors:
        raise ValidationFailed("The item was not saved.", fields=errors)
    with transaction.atomic():
        item.save()
        item.groups.set(groups if item.audience == Audience.GROUPS else [])
    return item


def _definition(values: dict) -> variables.Variable:
    conditions = []
    for condition in values.get("show_when") or ():
        conditions.append(variables.Condition(condition.get("variable", ""), condition.get("op", ""),
                                              condition.get("value")))
    return variables.Variable(
        name=values.get("name") or "", type=values.get("type") or "", label=values.get("label") or "",
        required=bool(values.get("required")), help_text=values.get("help_text") or "",
        default=values.get("default"), choices=tuple(tuple(c) for c in values.get("choices") or ()),
        regex=values.get("regex") or "", min_value=values.get("min_value") or None,
        max_value=values.get("max_value") or None, min_length=values.get("min_length"),
        max_length=values.get("max_length"), show_when=tuple(conditions), order=values.get("order") or 0)


def save_variable(*, by, item: CatalogItem, variable: CatalogVariable | None = None, **values) -> CatalogVariable:
    """Add or change one variable of ``item``'s form, checked together with the others.

    Renaming a variable that other variables' conditions name is refused (they would name nothing).
    """
    _admin(by)
    _unknown(values, VARIABLE_FIELDS)
    values = {**{name: getattr(variable, name) for name in VARIABLE_FIELDS if variable is not None}, **values}
    if "order" not in values or values["order"] is None:
        values["order"] = (item.variables.aggregate(top=Max("order"))["top"] or 0) + 1
    candidate = _definition(values)
    others = [v.definition() for v in item.variables.exclude(pk=getattr(variable, "pk", None))]
    errors = variables.definition_errors(candidate, others)
    if not candidate.label.strip():
        errors.setdefault("label", []).append("Give the question people see.")
    if any(other.name == candidate.name for other in others):
        errors.setdefault("name", []).append("Another variable of this item has this name.")
    if variable is not None and candidate.name != variable.name:
        users = [o.title for o in others if any(c.variable == variable.name for c in o.show_when)]
        if users:
            errors.setdefault("name", []).append(f"Shown depending on it: {', '.join(users)}. Change those first.")
    if errors:
        raise ValidationFailed("The variable was not saved.", fields=errors)
    variable = variable or CatalogVariable(item=item)
    for name in VARIABLE_FIELDS:
        setattr(variable, name, values.get(name) if values.get(name) is not None else _empty(name))
    try:
        with transaction.atomic():
            variable.save()
    except IntegrityError:  # a concurrent save took the name
        raise ValidationFailed("The variable was not saved.",
                               fields={"name": ["Another variable of this item has this name."]}) from None
    return variable


def _empty(name: str):
    return {"choices": [], "show_when": [], "regex": "", "min_value": "", "max_value": "", "help_text": "",
            "required": False, "label": ""}.get(name)


def delete_variable(*, by, variable: CatalogVariable) -> None:
    """Remove a variable from the form; refused while another variable's condition names it.

    Requested items keep the answers they were ordered with."""
    _admin(by)
    users = [v.label for v in variable.item.variables.exclude(pk=variable.pk)
             if any(c.get("variable") == variable.name for c in v.show_when or ())]
    if users:
        raise ValidationFailed(f"{variable.label} was not removed.",
                               fields={"variable": [f"Shown depending on it: {', '.join(users)}. Change those first."]})
    variable.delete()


def move_variable(*, by, variable: CatalogVariable, up: bool) -> None:
    """Swap the variable with its neighbour in the form's order (renumbering the form 1..n)."""
    _admin(by)
    ordered = list(variable.item.variables.order_by("order", "pk"))
    index = next(i for i, v in enumerate(ordered) if v.pk == variable.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    with transaction.atomic():
        for position, each in enumerate(ordered, start=1):
            if each.order != position:
                each.order = position
                each.save(update_fields=["order"])


def save_task_template(*, by, item: CatalogItem, template: FulfilmentTaskTemplate | None = None,
                       **values) -> FulfilmentTaskTemplate:
    """A task generated when the item is approved: equal steps in parallel, steps one after another."""
    _admin(by)
    _unknown(values, TASK_FIELDS)
    template = template or FulfilmentTaskTemplate(item=item)
    for name, value in values.items():
        setattr(template, name, value.strip() if isinstance(value, str) else value)
    errors = {}
    if not template.title:
        errors["title"] = ["Name the task."]
    if template.step is None or template.step < 1:
        errors["step"] = ["Steps count from 1."]
    if template.due_in_hours is not None and template.due_in_hours < 1:
        errors["due_in_hours"] = ["Give at least one business hour, or leave it empty."]
    if template.assignment_group_id and not template.assignment_group.is_active:
        errors["assignment_group"] = ["This group is no longer active."]
    if errors:
        raise ValidationFailed("The task template was not saved.", fields=errors)
    template.save()
    return template


def delete_task_template(*, by, template: FulfilmentTaskTemplate) -> None:
    _admin(by)
    template.delete()
