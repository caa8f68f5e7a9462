"""A CI changed: the in-transaction hook for apps above the CMDB (assets keeps its asset in step).

``cmdb`` may not import the apps that build on it, so they subscribe here (in their ``ready()``).
Subscribers run inside the writing transaction, after the CI and its history are saved: a subscriber
that raises (a ``core.exceptions`` error) refuses the whole write, so the CI and whatever mirrors it
never disagree. ``changes`` is the list ``cmdb.services.update_ci`` returns ([] for a new CI).
"""

from __future__ import annotations

from collections.abc import Callable

_ci_changed: list[Callable] = []


def subscribe_ci_changed(listener: Callable) -> None:
    """``listener(ci, changes, *, by, source, created)``; subscribing twice keeps one."""
    if listener not in _ci_changed:
        _ci_changed.append(listener)


def ci_changed(ci, changes: list[dict], *, by, source: str, created: bool = False) -> None:
    for listener in list(_ci_changed):
        listener(ci, changes, by=by, source=source, created=created)
