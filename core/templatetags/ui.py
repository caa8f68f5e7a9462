"""Display helpers about no domain, for every layout (`{% load ui %}`): people, ages, form fields."""

from django import template
from django.utils import timezone

from core.display import compact_age

register = template.Library()


@register.filter
def initials(user) -> str:
    name = (getattr(user, "full_name", "") or getattr(user, "email", "") or "?").strip()
    parts = [p for p in name.replace("@", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def age(value) -> str:
    """Compact age for dense tables: 45m, 5h, 3d, 7w."""
    return compact_age(value, timezone.now())


@register.simple_tag
def field_required(field) -> bool:
    """Required by the form, or by the workflow action the form submits (``required_by_action``)."""
    return getattr(field.field, "required_by_action", False) or field.field.required
