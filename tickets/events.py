"""A small in-process event bus.

The core announces what happened to a ticket (created, transitioned, replied,
assigned...) and listeners (notifications today, SLA and integrations later)
subscribe. Events are delivered after the surrounding transaction commits, so
a listener never sees, or enqueues work for, a write that was rolled back.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

from contextlib import nullcontext

from django.db import connection, transaction
from django_tenants.utils import tenant_context

logger = logging.getLogger(__name__)

CREATED = "created"
UPDATED = "updated"
ASSIGNED = "assigned"
TRANSITIONED = "transitioned"
REPLIED = "replied"  # public reply
NOTED = "noted"  # internal work note
LINKED = "linked"  # tickets.links.services: one event for each of the two tickets
UNLINKED = "unlinked"


@dataclass(frozen=True)
class TicketEvent:
    name: str
    ticket: Any
    actor: Any = None
    data: dict = field(default_factory=dict)


_listeners: dict[str, list[Callable[[TicketEvent], None]]] = defaultdict(list)
_in_transaction: dict[str, list[Callable[[TicketEvent], None]]] = defaultdict(list)


def subscribe(*names: str):
    """Run the listener after the write commits (notifications, integrations)."""

    def decorator(fn):
        for name in names:
            if fn not in _listeners[name]:
                _listeners[name].append(fn)
        return fn

    return decorator


def subscribe_in_transaction(*names: str):
    """Run the listener inside the writer's transaction, on the locked ticket.

    For state that must never disagree with the ticket (SLA clocks): the listener's
    writes commit or roll back with the ticket's, and its exceptions abort the write.
    """

    def decorator(fn):
        for name in names:
            if fn not in _in_transaction[name]:
                _in_transaction[name].append(fn)
        return fn

    return decorator


def publish(event: TicketEvent) -> None:
    for listener in _in_transaction.get(event.name, []):
        listener(event)
    # The commit may happen after the caller has left the tenant's schema (an outer atomic
    # block around a schema_context), so listeners run in the tenant captured here.
    tenant = getattr(connection, "tenant", None)

    def deliver():
        with tenant_context(tenant) if tenant is not None else nullcontext():
            for listener in _listeners.get(event.name, []):
                try:
                    listener(event)
                except Exception:  # one broken listener must not break the write that already committed
                    logger.exception("ticket event listener failed",
                                     extra={"event": event.name, "listener": listener.__qualname__})

    transaction.on_commit(deliver)
