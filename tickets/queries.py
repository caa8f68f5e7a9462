"""Read paths shared by every ticket type's pages and API: the timeline and attachments."""

from django.db.models import Prefetch, QuerySet

from tickets.models import Attachment, TimelineEntry, ticket_type_label


def timeline(ticket, *, public_only: bool) -> QuerySet:
    """The ticket's history with authors and attachments (two queries when evaluated), oldest first.

    ``public_only`` is the requester's view: public replies, state changes and public
    attachments; never work notes, field changes or internal files.
    """
    entries = TimelineEntry.objects.filter(ticket_type=ticket_type_label(ticket), ticket_id=ticket.pk)
    files = Attachment.objects.order_by("id")
    if public_only:
        entries = entries.filter(is_public=True).exclude(kind__in=[TimelineEntry.Kind.WORK_NOTE,
                                                                   TimelineEntry.Kind.FIELD_CHANGE])
        files = files.filter(is_public=True)
    return entries.select_related("author").prefetch_related(Prefetch("attachments", queryset=files))


def attachments(ticket, *, public_only: bool) -> QuerySet:
    files = Attachment.objects.filter(ticket_type=ticket_type_label(ticket), ticket_id=ticket.pk)
    if public_only:
        files = files.filter(is_public=True)
    return files.select_related("uploaded_by")


def ticket_of(attachment):
    """The ticket an attachment belongs to, or None."""
    from django.apps import apps

    try:
        model = apps.get_model(attachment.ticket_type)
    except (LookupError, ValueError):
        return None
    return model.objects.filter(pk=attachment.ticket_id).first()
