"""Impact analysis in the database: what a CI's failure reaches, and what a CI depends on.

Each relationship type says which way a failure travels (``RelationshipType.impact``). The walk is one
recursive CTE, breadth first, whose every iteration is ONE row holding the whole frontier as arrays: the
CIs first reached at that depth, the predecessor each was reached from and the relationship type of that
hop, plus every CI seen so far. The next frontier is the frontier's edges (index lookups) minus the seen
CIs (a hash anti-join), so each CI is visited once however many paths lead to it; cycles end there, and
the depth limit bounds the rest. Enumerating paths instead (``UNION ALL`` with a path array, the first
version) grows with the number of simple paths: exponential on redundant network links and clusters.

The query returns the predecessor tree of what it reached, never the graph: a path is rebuilt from it in
Python by following predecessors, so it is a shortest path (fewest hops; among equals, through the
predecessor with the lowest id, for a stable answer). One query per call; ``load`` adds one for display.

``downstream(ids)``: the CIs a failure of ``ids`` reaches ("if this breaks, what else goes down?").
``upstream(ids)``: the CIs whose failure reaches ``ids`` (what a service depends on).
``impacted_services(ids)``: the business services downstream, the start CIs that are services included.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import connection

from cmdb.models import CI

MAX_DEPTH = 20
DEFAULT_DEPTH = 10


class Reached(NamedTuple):
    """A named tuple, not a dataclass: a walk builds thousands, and a tuple is built several times faster."""

    ci_id: int
    depth: int
    path: tuple[int, ...]  # CI ids from the start to this CI, both included
    via: tuple[str, ...]  # the relationship type key of each hop


# A relationship type's impact, seen from the failing CI: downstream follows "a failure of X reaches Y",
# so from a failing target to its source (to_source) and from a failing source to its target (to_target).
# (column holding the failing CI, column holding the CI it reaches, impacts that travel that way)
_HOPS = {
    True: (("target_id", "source_id", ("to_source", "both")), ("source_id", "target_id", ("to_target", "both"))),
    False: (("source_id", "target_id", ("to_source", "both")), ("target_id", "source_id", ("to_target", "both"))),
}


def _sql(forward: bool, with_services: bool) -> str:
    (near_a, far_a, impacts_a), (near_b, far_b, impacts_b) = _HOPS[forward]
    services = """,
        service_class(id) AS (
            SELECT id FROM cmdb_ciclass WHERE is_business_service
            UNION
            SELECT c.id FROM cmdb_ciclass c JOIN service_class s ON c.parent_id = s.id
        )""" if with_services else ""
    flag = ", c.ci_class_id IN (SELECT id FROM service_class)" if with_services else ", false"
    join_ci = "JOIN cmdb_ci c ON c.id = u.ci_id" if with_services else ""
    return f"""
        WITH RECURSIVE kinds AS MATERIALIZED (
            SELECT coalesce(array_agg(id) FILTER (WHERE impact IN ('{impacts_a[0]}', '{impacts_a[1]}')), '{{}}') AS a,
                   coalesce(array_agg(id) FILTER (WHERE impact IN ('{impacts_b[0]}', '{impacts_b[1]}')), '{{}}') AS b
              FROM cmdb_relationshiptype
        ),
        step(depth, ids, preds, types, seen) AS (
            SELECT 0, %(start)s::bigint[], %(none)s::bigint[], %(none)s::bigint[], %(start)s::bigint[]
            UNION ALL
            SELECT s.depth + 1, n.ids, n.preds, n.types, s.seen || n.ids
              FROM step s CROSS JOIN kinds k CROSS JOIN LATERAL (
                SELECT array_agg(x.far) AS ids, array_agg(x.near) AS preds, array_agg(x.type_id) AS types FROM (
                    SELECT DISTINCT ON (e.far) e.far, e.near, e.type_id FROM (
                        SELECT r.{near_a} AS near, r.{far_a} AS far, r.type_id
                          FROM unnest(s.ids) f(id) JOIN cmdb_relationship r ON r.{near_a} = f.id AND r.type_id = ANY(k.a)
                        UNION ALL
                        SELECT r.{near_b}, r.{far_b}, r.type_id
                          FROM unnest(s.ids) f(id) JOIN cmdb_relationship r ON r.{near_b} = f.id AND r.type_id = ANY(k.b)
                    ) e
                     WHERE NOT EXISTS (SELECT 1 FROM unnest(s.seen) v(id) WHERE v.id = e.far)
                     ORDER BY e.far, e.near, e.type_id
                ) x
              ) n
             WHERE s.depth < %(depth)s AND n.ids IS NOT NULL
        ){services}
        SELECT u.ci_id, s.depth, u.pred, t.key{flag}
          FROM step s CROSS JOIN LATERAL unnest(s.ids, s.preds, s.types) u(ci_id, pred, type_id)
          LEFT JOIN cmdb_relationshiptype t ON t.id = u.type_id
          {join_ci}
         ORDER BY s.depth, u.ci_id
    """


def _walk(start_ids, depth: int, forward: bool, *, services: bool = False, keep_start: bool = False) -> list[Reached]:
    """The walk's rows as ``Reached``, by depth then id; with ``services``, only business services."""
    start_ids = sorted({int(pk) for pk in start_ids})
    if not start_ids:
        return []
    depth = max(1, min(int(depth), MAX_DEPTH))
    with connection.cursor() as cursor:
        cursor.execute(_sql(forward, services), {"start": start_ids, "none": [None] * len(start_ids), "depth": depth})
        rows = cursor.fetchall()
    # Two dicts rather than one of (path, via) pairs: a walk allocates thousands of tuples, and each one
    # tracked brings the next garbage-collector pass nearer (a full pass costs a Django process 10-30 ms).
    paths: dict[int, tuple[int, ...]] = {}
    vias: dict[int, tuple[str, ...]] = {}
    reached = []
    make = tuple.__new__  # Reached(...) without the named tuple's keyword-handling constructor
    for ci_id, hops, pred, kind, is_service in rows:  # by depth: a predecessor's path is always known first
        if hops == 0:
            path = paths[ci_id] = (ci_id,)
            via = vias[ci_id] = ()
        else:
            path = paths[ci_id] = paths[pred] + (ci_id,)
            via = vias[ci_id] = vias[pred] + (kind,)
        if (hops or keep_start) and (is_service or not services):
            reached.append(make(Reached, (ci_id, hops, path, via)))
    return reached


def downstream(start_ids, *, depth: int = DEFAULT_DEPTH) -> list[Reached]:
    """The CIs a failure of ``start_ids`` reaches within ``depth`` hops, nearest first (start CIs excluded)."""
    return _walk(start_ids, depth, forward=True)


def upstream(start_ids, *, depth: int = DEFAULT_DEPTH) -> list[Reached]:
    """The CIs whose failure reaches ``start_ids`` within ``depth`` hops, nearest first (start CIs excluded)."""
    return _walk(start_ids, depth, forward=False)


def impacted_services(ci_ids, *, depth: int = DEFAULT_DEPTH) -> list[Reached]:
    """The business services a failure of ``ci_ids`` takes down: those reached, and those among ``ci_ids``
    (at depth 0, a path of themselves). A service is a CI of a class flagged ``is_business_service`` or below one."""
    return _walk(ci_ids, depth, forward=True, services=True, keep_start=True)


def load(reached: list[Reached], *, related=("ci_class",)) -> list[tuple[Reached, CI]]:
    """Each reached CI with its CI row (and class) for display, in the same order; one query.

    A CI deleted since the walk is left out.
    """
    if not reached:
        return []
    cis = CI.objects.select_related(*related).in_bulk([r.ci_id for r in reached])
    return [(r, cis[r.ci_id]) for r in reached if r.ci_id in cis]
