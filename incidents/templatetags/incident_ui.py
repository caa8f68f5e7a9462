"""Incident display helpers: state and field names from the incident workflow."""

from django import template

from incidents.workflow import WORKFLOW

register = template.Library()

FIELD_LABELS = {"hold_reason": "Hold reason", "resolution_code": "Resolution code",
                "resolution_notes": "Resolution notes", "cancel_reason": "Cancel reason"}


@register.filter
def state_label(value: str) -> str:
    return WORKFLOW.states.get(value, value or "")


@register.filter
def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, str(name).replace("_", " ").capitalize())
