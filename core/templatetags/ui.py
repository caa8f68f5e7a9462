"""Display helpers about no domain, for every layout (`{% load ui %}`): people, ages, form fields."""

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def initials(user) -> str:
    name = (getattr(user, "full_name", "") or getattr(user, "email", "") or "?").strip()
    parts = [p for p in name.replace("@", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def age(value) -> str:
    """Compact age for dense tables: 45m, 5h, 3d, 7w."""
    if not value:
        return ""
    seconds = max(0, int((timezone.now() - value).total_seconds()))
    if seconds < 3600:
        return f"{max(1, seconds // 60)}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if seconds < 86400 * 14:
        return f"{seconds // 86400}d"
    return f"{seconds // (86400 * 7)}w"


@register.simple_tag
def field_required(field) -> bool:
    """Required by the form, or by the workflow action the form submits (``required_by_action``)."""
    return getattr(field.field, "required_by_action", False) or field.field.required
