"""Read helpers shared by the desk and the portal pages of an incident."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch

from tickets.models import Attachment, TimelineEntry


def timeline(ticket, *, public_only: bool):
    """The ticket's history, newest first, with its attachments, in two queries.

    ``public_only`` is the requester's view: replies, public state changes and
    public attachments; never work notes, field changes or internal files.
    """
    ticket_type = ContentType.objects.get_for_model(ticket)
    entries = TimelineEntry.objects.filter(ticket_type=ticket_type, ticket_id=ticket.pk).select_related("author")
    files = Attachment.objects.order_by("id")
    if public_only:
        entries = entries.filter(is_public=True).exclude(kind__in=[TimelineEntry.Kind.WORK_NOTE,
                                                                   TimelineEntry.Kind.FIELD_CHANGE])
        files = files.filter(is_public=True)
    entries = entries.prefetch_related(Prefetch("attachments", queryset=files))
    return list(entries.order_by("-created_at", "-id"))


def attachments(ticket, *, public_only: bool):
    ticket_type = ContentType.objects.get_for_model(ticket)
    files = Attachment.objects.filter(ticket_type=ticket_type, ticket_id=ticket.pk).select_related("uploaded_by")
    return list(files.filter(is_public=True) if public_only else files)
