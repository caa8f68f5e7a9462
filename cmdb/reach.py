"""What an impact walk reached, ready to show: each CI with its depth, its path by name and the relationship types.

``cmdb.impact`` walks the graph in the database and returns ids; this reads the CIs on the paths in one
query and says which are business services, so an endpoint or a page costs the same few queries however
far the walk goes.
"""

from __future__ import annotations

from dataclasses import dataclass

from cmdb import impact, queries
from cmdb.models import CI

ARROW = " → "
DIRECTIONS = ("downstream", "upstream")


@dataclass(frozen=True)
class Step:
    id: int
    name: str


@dataclass(frozen=True)
class ReachedCI:
    ci: CI
    depth: int  # hops from the start (0: a start itself)
    path: tuple[Step, ...]  # from the start to this CI, both included
    via: tuple[str, ...]  # the relationship type key of each hop
    is_business_service: bool

    @property
    def path_text(self) -> str:
        return ARROW.join(step.name for step in self.path)


def reach(start_ids, *, direction: str = "downstream", depth: int = impact.DEFAULT_DEPTH,
          include_start: bool = False) -> list[ReachedCI]:
    """The CIs a walk from ``start_ids`` reaches, nearest first (then by name); the starts too if asked."""
    start_ids = [int(pk) for pk in start_ids]
    walk = impact.downstream if direction == "downstream" else impact.upstream
    rows = walk(start_ids, depth=depth) if start_ids else []
    if include_start:
        rows = [impact.Reached(pk, 0, (pk,), ()) for pk in start_ids] + rows
    return shaped(rows)


def shaped(rows: list[impact.Reached]) -> list[ReachedCI]:
    """Walk rows as ReachedCI, nearest first (then by name): the CIs on their paths read in one query."""
    if not rows:
        return []
    cis = CI.objects.select_related("ci_class").in_bulk({pk for row in rows for pk in row.path})
    service_classes = queries.business_service_class_ids()
    found = [ReachedCI(cis[row.ci_id], row.depth, tuple(Step(pk, cis[pk].name) for pk in row.path if pk in cis),
                       row.via, cis[row.ci_id].ci_class_id in service_classes)
             for row in rows if row.ci_id in cis]
    return sorted(found, key=lambda reached: (reached.depth, reached.ci.name.lower(), reached.ci.pk))
