from django import template
from django.templatetags.static import static

from service_requests import icons, progress, queries

register = template.Library()


@register.simple_tag
def requested_item_answers(item):
    return queries.answer_rows(item)


@register.simple_tag
def catalogue_icon(name):
    return static(icons.static_path(name))


@register.simple_tag
def item_progress(item) -> str:
    """Where a requested item stands, for its requester: its approval stage, or its tasks done."""
    return progress.of(item)
