from django import template

from fulfilment import queries

register = template.Library()


@register.simple_tag
def task_family(task) -> dict:
    """A task's parent (None when it no longer exists) and its sibling tasks, for the task's page."""
    return {"parent": queries.parent_of(task), "siblings": queries.siblings_of(task)}
