"""Impact analysis in the database: what a CI's failure reaches, and what a CI depends on.

Each relationship type says which way a failure travels (``RelationshipType.impact``); the walk is one
recursive CTE over those directed edges, with a depth limit and cycle protection (a path never revisits a
CI), returning for each CI reached the shortest path to it. The graph is never loaded into Python.

``downstream(ids)``: the CIs a failure of ``ids`` reaches ("if this breaks, what else goes down?").
``upstream(ids)``: the CIs whose failure reaches ``ids`` (what a service depends on).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

MAX_DEPTH = 20
DEFAULT_DEPTH = 10


@dataclass(frozen=True)
class Reached:
    ci_id: int
    depth: int
    path: tuple[int, ...]  # CI ids from the start to this CI, both included
    via: tuple[str, ...]  # the relationship type key of each hop


# Directed failure edges: a row (src, dst) means "a failure of src reaches dst".
_EDGES = """
    SELECT r.target_id AS src, r.source_id AS dst, t.key AS kind
      FROM cmdb_relationship r JOIN cmdb_relationshiptype t ON t.id = r.type_id
     WHERE t.impact IN ('to_source', 'both')
    UNION ALL
    SELECT r.source_id, r.target_id, t.key
      FROM cmdb_relationship r JOIN cmdb_relationshiptype t ON t.id = r.type_id
     WHERE t.impact IN ('to_target', 'both')
"""


def _walk(start_ids, depth: int, forward: bool) -> list[Reached]:
    start_ids = [int(pk) for pk in start_ids]
    if not start_ids:
        return []
    depth = max(1, min(int(depth), MAX_DEPTH))
    near, far = ("src", "dst") if forward else ("dst", "src")
    sql = f"""
        WITH RECURSIVE edge AS ({_EDGES}),
        walk(ci_id, depth, path, via) AS (
            SELECT id, 0, ARRAY[id], ARRAY[]::text[] FROM cmdb_ci WHERE id = ANY(%s)
            UNION ALL
            SELECT e.{far}, w.depth + 1, w.path || e.{far}, w.via || e.kind::text
              FROM walk w JOIN edge e ON e.{near} = w.ci_id
             WHERE w.depth < %s AND NOT e.{far} = ANY(w.path)
        )
        SELECT DISTINCT ON (ci_id) ci_id, depth, path, via FROM walk
         WHERE NOT ci_id = ANY(%s)
         ORDER BY ci_id, depth, path
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [start_ids, depth, start_ids])
        return [Reached(ci_id, d, tuple(path), tuple(via)) for ci_id, d, path, via in cursor.fetchall()]


def downstream(start_ids, *, depth: int = DEFAULT_DEPTH) -> list[Reached]:
    return _walk(start_ids, depth, forward=True)


def upstream(start_ids, *, depth: int = DEFAULT_DEPTH) -> list[Reached]:
    return _walk(start_ids, depth, forward=False)
