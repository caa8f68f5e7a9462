"""Read paths shared by every ticket type's pages and API: the timeline and attachments."""

from django.db.models import Count, Prefetch, Q, QuerySet, Value

from tickets import counter_cache
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


def for_list(ticket_type, user) -> QuerySet:
    """A type's tickets as the queue, the portal and the API list them: visible to ``user``, with their joins."""
    return ticket_type.annotate_list(ticket_type.model.objects.visible_to(user).select_related(*ticket_type.list_related))


# What the desk queue shows of a row's related records (tickets/desk/_queue_rows.html, tickets.queue_rows).
QUEUE_RELATED_FIELDS = ("requester__full_name", "requester__email", "assignee__full_name", "assignee__email",
                        "assignment_group__name", "category__name")


def queue_columns(rows: QuerySet) -> QuerySet:
    """The queue's rows (``for_list`` filtered and ordered) with only the columns the page shows.

    Every column of the ticket itself but its description (types' row tags and own columns read
    those), and of the related records only what the queue shows: a person's password hash,
    preferences and dates stay in the database. A type's callable reading another related field
    would cost a query per row; the UI battery's query-count test catches it.
    """
    own = [field.name for field in rows.model._meta.concrete_fields if field.name not in ("description",
                                                                                         "description_html")]
    return rows.only(*own, *QUEUE_RELATED_FIELDS)


def for_api(ticket_type, user) -> QuerySet:
    """The API's list and detail: visible to ``user``, with the joins its representation shows (not the
    queue's row annotations, the detail page's watchers or its creator)."""
    return ticket_type.model.objects.visible_to(user).select_related(*ticket_type.list_related)


def for_detail(ticket_type, user) -> QuerySet:
    return (ticket_type.model.objects.visible_to(user)
            .select_related(*ticket_type.list_related, *ticket_type.detail_related).prefetch_related("watchers"))


def timeline_newest_first(ticket, *, public_only: bool) -> list:
    """The ticket's history as its pages show it, newest first, with attachments."""
    return list(timeline(ticket, public_only=public_only).order_by("-created_at", "-id"))


def open_counters(ticket_type, user) -> list[dict]:
    """The counters above a type's queue: one aggregate over its open tickets (its partial indexes), kept
    until the type's tickets change (tickets.counter_cache)."""
    model = ticket_type.model

    def count():
        return model.objects.filter(state__in_constants=sorted(model.workflow.open_states)).aggregate(**{
            counter.key: Count("id", filter=counter.condition(user) or None) for counter in ticket_type.counters})

    values = counter_cache.values(model, user, count)
    return [{"counter": counter, "value": values[counter.key]} for counter in ticket_type.counters]


def across_types(parts, ticket_types, *, order, row_class=None):
    """One UNION ALL of per-type ``.values()`` querysets (each annotated with ``type_index``), ordered:
    a countable, sliceable sequence of ``row_class`` rows for a paginator, whatever the number of types."""
    if not parts:
        return []
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return TypedRows(union.order_by(*order), list(ticket_types), row_class or TypedRow)


class TypedRows:
    def __init__(self, rows, ticket_types, row_class):
        self.rows, self.ticket_types, self.row_class = rows, ticket_types, row_class

    def count(self) -> int:
        return self.rows.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key:key + 1][0]
        return [self.row_class(row, self.ticket_types[row["type_index"]]) for row in self.rows[key]]


class TypedRow:
    """A row of ``across_types``: its values as attributes, its type, its state's label."""

    def __init__(self, values: dict, ticket_type):
        self.__dict__.update(values)
        self.ticket_type = ticket_type
        workflow = ticket_type.model.workflow
        self.state_label = workflow.states.get(self.state, self.state)
        self.awaiting_confirmation = self.state in workflow.resolved


def portal_tickets(user, ticket_types, *, show: str = "open", order=("-opened_at", "-id"), q: str = ""):
    """The portal's "my tickets" across every type a requester follows, as one query.

    ``show`` is "open" (not yet final: open or awaiting the requester's confirmation), "awaiting"
    (resolved, waiting for the requester to confirm), "closed" (final) or "all"; ``q`` keeps those
    whose number or title contains it.
    """
    parts = []
    for index, ticket_type in enumerate(ticket_types):
        workflow = ticket_type.model.workflow
        rows = ticket_type.model.objects.raised_or_watched_by(user)
        if q:
            rows = rows.filter(Q(number__icontains=q) | Q(title__icontains=q))
        if show == "open":
            rows = rows.exclude(state__in=sorted(workflow.final))
        elif show == "awaiting":
            rows = rows.filter(state__in=sorted(workflow.resolved))
        elif show == "closed":
            rows = rows.filter(state__in=sorted(workflow.final))
        parts.append(rows.annotate(type_index=Value(index)).values(
            "type_index", "id", "number", "title", "state", "opened_at", "updated_at", "resolved_at"))
    return across_types(parts, ticket_types, order=order)
