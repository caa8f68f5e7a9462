"""Template helpers for every ticket type's pages: state and field names, navigation."""

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst

from tickets import portal, types

register = template.Library()


@register.filter
def state_name(value: str, ticket) -> str:
    """A state's label in the ticket's workflow: ``{{ entry.data.from|state_name:ticket }}``."""
    return ticket.workflow.states.get(value, value or "")


@register.filter
def field_name(name: str, ticket) -> str:
    """A field's label on the ticket's model: ``{{ name|field_name:ticket }}``."""
    try:
        return capfirst(str(ticket._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:  # a name that is not a model field: show it readable
        return str(name).replace("_", " ").capitalize()


@register.simple_tag
def desk_types() -> list:
    """The registered ticket types, in navigation order, for the desk's main navigation."""
    return types.all_types()


@register.simple_tag
def raisable_types() -> list:
    return types.raisable_types()


@register.simple_tag
def portal_links(user) -> list:
    """The navigation links the floors above contribute to the portal (tickets.portal), with counts."""
    return portal.links_for(user)
