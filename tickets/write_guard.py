"""Ticket rows are written by ``tickets.services`` and nowhere else.

A ticket write made anywhere else silently skips what the services do with it: the timeline
entry, the version (the API's ETag), the events that SLA clocks and mail listen to. So ticket
models refuse ORM writes (``save()``, and a queryset's ``update()``, ``bulk_update()`` and
``bulk_create()``) unless a writer has said why it may, and a bypass fails loudly, in tests
as in production, instead of leaving a ticket whose clocks and history disagree with it.

``tickets.services`` opens ``direct_writes("tickets.services")`` around its own saves only, so
even code running inside a service (an in-transaction event listener) cannot write the ticket
row except by calling a service. The one documented escape for everyone else is the same
context manager, with a reason a reader can judge:

    with direct_writes("test set-up: resolved 30 days ago"):
        Incident.objects.filter(pk=incident.pk).update(resolved_at=...)

It is for data, not for domain actions: test set-up that moves a timestamp into the past,
one-off imports. Data migrations need nothing (their historical models carry neither this
``save()`` nor this manager), test factories create tickets through the services, and bulk
seeding (``bench/``) writes with raw SQL, which this ORM guard does not see.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models

from tickets import counter_cache

_allowed: ContextVar[str | None] = ContextVar("ticket_direct_writes", default=None)


class TicketWriteOutsideServices(RuntimeError):
    """A programming error: a ticket row was about to be written without ``tickets.services``."""


@contextmanager
def direct_writes(reason: str):
    """Allow ORM writes of ticket rows in this block (this thread or task only)."""
    if not reason or not reason.strip():
        raise ValueError("Say why these ticket writes may bypass tickets.services.")
    token = _allowed.set(reason)
    try:
        yield
    finally:
        _allowed.reset(token)


def check(model, operation: str) -> None:
    """Refuse a ticket-row write outside the services; let the queue counters know of an allowed one.

    Every ORM write of a ticket row comes through here, so this is where ``tickets.counter_cache``
    learns that the type's counters must be recounted once the write commits.
    """
    if _allowed.get() is None:
        raise TicketWriteOutsideServices(
            f"{model._meta.label}.{operation} outside tickets.services: ticket rows change only through "
            "tickets.services (create_ticket, update_ticket, transition, add_comment, ...), which write the "
            "timeline and the version and publish the events. For data that is not a domain action "
            "(test set-up, an import) wrap the write in tickets.write_guard.direct_writes(reason)."
        )
    counter_cache.changed(model)


class GuardedTicketQuerySet(models.QuerySet):
    """The queryset of every ticket model: bulk writes obey the same rule as ``save()``."""

    def update(self, **kwargs):
        check(self.model, "objects.update()")
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        check(self.model, "objects.bulk_update()")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def bulk_create(self, objs, *args, **kwargs):
        check(self.model, "objects.bulk_create()")
        return super().bulk_create(objs, *args, **kwargs)
