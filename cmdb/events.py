"""A CI changed: the in-transaction hook for apps above the CMDB (assets keeps its asset in step).

``cmdb`` may not import the apps that build on it, so they subscribe here (in their ``ready()``).
Subscribers run inside the writing transaction, after the CI and its history are saved: a subscriber
that raises (a ``core.exceptions`` error) refuses the whole write, so the CI and whatever mirrors it
never disagree. ``changes`` is the list ``cmdb.services.update_ci`` returns ([] for a new CI).
"""

from __future__ import annotations

from collections.abc import Callable

_ci_changed: list[Callable] = []
_mirrors: list[Callable] = []


def subscribe_ci_changed(listener: Callable, *, mirrored: Callable | None = None) -> None:
    """``listener(ci, changes, *, by, source, created)``; subscribing twice keeps one.

    ``mirrored(ci_ids) -> set`` names the CIs the subscriber keeps a copy of (assets: the CIs with an
    asset), in one query. Bulk writers (``cmdb.imports``) send those CIs through ``cmdb.services`` one by
    one, so the listener runs for them; every other CI may be written set-based.
    """
    if listener not in _ci_changed:
        _ci_changed.append(listener)
    if mirrored is not None and mirrored not in _mirrors:
        _mirrors.append(mirrored)


def mirrored(ci_ids) -> set[int]:
    """The CIs among ``ci_ids`` that a floor above mirrors (no query when nobody subscribed or no ids)."""
    ci_ids = list(ci_ids)
    found: set[int] = set()
    if ci_ids:
        for mirror in _mirrors:
            found |= set(mirror(ci_ids))
    return found


def ci_changed(ci, changes: list[dict], *, by, source: str, created: bool = False) -> None:
    for listener in list(_ci_changed):
        listener(ci, changes, by=by, source=source, created=created)
