"""A ticket's own target for a metric, over its policy's: a requested item's delivery time.

A process registers, from its ``AppConfig.ready()``, a function giving the business seconds a
ticket of its type promises for a metric (or None for the policy's target), e.g. service
requests: the catalogue item's expected delivery time is the item's resolution target. The
matching policy still decides whether a clock runs at all, its calendar, pause states and
escalations; only the duration is the ticket's.
"""

from __future__ import annotations

from collections.abc import Callable

_OWN_TARGETS: dict[str, Callable] = {}


def register(model_label: str, seconds: Callable) -> None:
    """``seconds(ticket, metric) -> int | None`` for tickets of ``model_label`` ("service_requests.requesteditem")."""
    _OWN_TARGETS[model_label] = seconds


def unregister(model_label: str) -> None:
    _OWN_TARGETS.pop(model_label, None)


def own_seconds(ticket, metric: str) -> int | None:
    own = _OWN_TARGETS.get(ticket._meta.label_lower)
    seconds = own(ticket, metric) if own else None
    return int(seconds) if seconds else None
