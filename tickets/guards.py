"""Conditions a transition can require that the ticket core cannot judge itself.

"Approved" (the approval engine) and "all tasks done" (fulfilment tasks) live on floors above
``tickets/``; they register a guard by name from their ``AppConfig.ready()``, and a workflow names
it in a transition::

    T("fulfil", {AWAITING_APPROVAL}, FULFILMENT, guards=("approved",))

``tickets.services.transition`` asks every guard of the step inside its transaction, on the
locked ticket, before anything is written. A guard answers ``None`` (the ticket may pass) or the
reason it may not, in words for the agent ("Waiting for approval: stage 2 of 3, IT approval.").
A guard a workflow names but no app registered refuses: a missing app must never let a ticket
skip its approval.
"""

from __future__ import annotations

from collections.abc import Callable

from core.exceptions import InvalidTransition

_GUARDS: dict[str, Callable] = {}


def register(name: str, check: Callable) -> None:
    """``check(ticket) -> str | None``: the reason the ticket may not take the transition, or None."""
    _GUARDS[name] = check


def unregister(name: str) -> None:
    _GUARDS.pop(name, None)


def registered(name: str) -> Callable | None:
    return _GUARDS.get(name)


def refusal(transition, ticket) -> str | None:
    """Why ``ticket`` may not take ``transition`` now, from the first guard that refuses; or None."""
    for name in transition.guards:
        check = _GUARDS.get(name)
        if check is None:
            return f"This step needs the '{name}' check, which is not available."
        reason = check(ticket)
        if reason:
            return reason
    return None


def enforce(transition, ticket) -> None:
    reason = refusal(transition, ticket)
    if reason:
        raise InvalidTransition(f"Cannot {transition.label.lower()} {ticket.number}: {reason}")
