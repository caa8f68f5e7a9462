"""An asset's lifecycle, declared once: the desk's buttons, the API's action endpoint and the services read it.

ordered -> in stock -> deployed <-> in repair; deployed, in stock or in repair -> retired -> disposed.
A device comes back to stock from use or repair (returned by its user, or repaired and not yet
handed out). Disposed is final. Deploying needs someone or somewhere to deploy to (an assigned user
or a location); retiring keeps the last holder and location on the asset, so whoever collects the
device knows where it is, and the history entry names them.
"""

from __future__ import annotations

from dataclasses import dataclass

from assets.models import Asset

L = Asset.Lifecycle


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset
    target: str
    style: str = "secondary"


TRANSITIONS = [
    Transition("receive", "Receive into stock", frozenset({L.ORDERED}), L.IN_STOCK, "primary"),
    Transition("deploy", "Deploy", frozenset({L.IN_STOCK, L.IN_REPAIR}), L.DEPLOYED, "primary"),
    Transition("send_to_repair", "Send to repair", frozenset({L.DEPLOYED}), L.IN_REPAIR),
    Transition("return_to_stock", "Return to stock", frozenset({L.DEPLOYED, L.IN_REPAIR}), L.IN_STOCK),
    Transition("retire", "Retire", frozenset({L.IN_STOCK, L.DEPLOYED, L.IN_REPAIR}), L.RETIRED, "danger"),
    Transition("dispose", "Dispose", frozenset({L.RETIRED}), L.DISPOSED, "danger"),
]
BY_NAME = {transition.name: transition for transition in TRANSITIONS}
ACTION_CHOICES = [(transition.name, transition.label) for transition in TRANSITIONS]
FINAL = frozenset({L.DISPOSED})
# Lifecycles in which an asset is out of use: nobody may be newly assigned to it.
OUT_OF_USE = frozenset({L.RETIRED, L.DISPOSED})


def allowed(lifecycle: str) -> list[Transition]:
    return [transition for transition in TRANSITIONS if lifecycle in transition.sources]


def leading_to(lifecycle: str, target: str) -> Transition | None:
    """The one transition from ``lifecycle`` straight to ``target``, if there is one."""
    return next((t for t in allowed(lifecycle) if t.target == target), None)
