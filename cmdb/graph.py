"""A CI's relationship graph laid out on the server, for an SVG the CI page draws without any JS library.

Nodes sit in columns by signed depth from the CI: what it depends on (upstream) to the left, what depends
on it (downstream) to the right, each found by ``cmdb.impact`` to the chosen depth. The edges are the
relationships among the nodes shown, drawn from source to target with their type's name. Past ``MAX_NODES``
the nearest CIs are kept and the rest counted, so a core switch with thousands of dependants stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cmdb import impact, links, queries
from cmdb.models import CI, Relationship

MAX_NODES = 60
DEPTHS = (1, 2, 3, 4, 5)
DEFAULT_DEPTH = 2

NODE_WIDTH, NODE_HEIGHT = 180, 46
COLUMN_GAP, ROW_GAP = 96, 22
MARGIN = 24
LABEL_CHARS = 22


@dataclass
class Node:
    ci_id: int
    name: str
    class_name: str
    is_service: bool
    column: int  # signed depth: negative upstream, 0 the CI itself, positive downstream
    url: str
    x: int = 0
    y: int = 0

    @property
    def short_name(self) -> str:
        return self.name if len(self.name) <= LABEL_CHARS else self.name[:LABEL_CHARS - 1] + "…"

    @property
    def side(self) -> str:
        return "upstream" if self.column < 0 else "downstream" if self.column > 0 else "this CI"


@dataclass
class Edge:
    source: Node
    target: Node
    label: str
    path: str = ""
    label_x: int = 0
    label_y: int = 0


@dataclass
class Graph:
    center: Node
    nodes: list[Node]
    edges: list[Edge]
    depth: int
    hidden: int  # CIs within the depth that were left out to keep the drawing readable
    width: int = 0
    height: int = 0
    node_width: int = NODE_WIDTH
    node_height: int = NODE_HEIGHT
    columns: list[int] = field(default_factory=list)


def clamp_depth(value) -> int:
    try:
        depth = int(value)
    except (TypeError, ValueError):
        return DEFAULT_DEPTH
    return depth if depth in DEPTHS else DEFAULT_DEPTH


def build(ci: CI, *, depth: int = DEFAULT_DEPTH, max_nodes: int = MAX_NODES,
          service_class_ids: set[int] | None = None) -> Graph:
    """The graph around ``ci`` (its class loaded): four queries, five without ``service_class_ids``."""
    depth = clamp_depth(depth)
    if service_class_ids is None:
        service_class_ids = queries.business_service_class_ids()
    columns: dict[int, int] = {}
    for row in impact.upstream([ci.pk], depth=depth):
        columns[row.ci_id] = -row.depth
    for row in impact.downstream([ci.pk], depth=depth):
        if row.ci_id not in columns or row.depth <= -columns[row.ci_id]:
            columns[row.ci_id] = row.depth
    # The nearest first; only the CIs kept are loaded, so a core switch with thousands of dependants stays cheap.
    ranked = sorted(columns, key=lambda pk: (abs(columns[pk]), pk))
    kept_ids, hidden = ranked[:max_nodes - 1], max(0, len(ranked) - (max_nodes - 1))
    kept = CI.objects.filter(pk__in=kept_ids).select_related("ci_class").only("name", "ci_class__name", "ci_class_id")

    url_of = links.ci_detail_urls()

    def node(other, column):
        return Node(other.pk, other.name, other.ci_class.name, other.ci_class_id in service_class_ids, column,
                    url_of(other.pk))

    center = node(ci, 0)
    nodes = [center] + [node(other, columns[other.pk]) for other in kept]
    by_id = {n.ci_id: n for n in nodes}
    relationships = Relationship.objects.filter(source__in=list(by_id), target__in=list(by_id)).select_related(
        "type").only("source_id", "target_id", "type__name").order_by("id")
    edges = [Edge(by_id[r.source_id], by_id[r.target_id], r.type.name) for r in relationships]
    graph = Graph(center=center, nodes=nodes, edges=edges, depth=depth, hidden=hidden)
    _lay_out(graph)
    return graph


def _lay_out(graph: Graph) -> None:
    by_column: dict[int, list[Node]] = {}
    for n in graph.nodes:
        by_column.setdefault(n.column, []).append(n)
    graph.columns = sorted(by_column)
    first = graph.columns[0]
    tallest = max(len(column) for column in by_column.values())
    height = MARGIN * 2 + tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP
    for column, members in by_column.items():
        members.sort(key=lambda n: (n is not graph.center, n.name.lower(), n.ci_id))
        used = len(members) * NODE_HEIGHT + (len(members) - 1) * ROW_GAP
        top = (height - used) // 2
        for index, n in enumerate(members):
            n.x = MARGIN + (column - first) * (NODE_WIDTH + COLUMN_GAP)
            n.y = top + index * (NODE_HEIGHT + ROW_GAP)
    graph.width = MARGIN * 2 + len(graph.columns) * NODE_WIDTH + (len(graph.columns) - 1) * COLUMN_GAP
    graph.height = height
    for edge in graph.edges:
        _route(edge)


def _route(edge: Edge) -> None:
    """A curve from the source's side to the target's facing side; within one column, a loop out to the right."""
    s, t = edge.source, edge.target
    sy, ty = s.y + NODE_HEIGHT // 2, t.y + NODE_HEIGHT // 2
    if s.x == t.x:
        x = s.x + NODE_WIDTH
        bulge = x + COLUMN_GAP // 2
        edge.path = f"M{x},{sy} C{bulge},{sy} {bulge},{ty} {x},{ty}"
        edge.label_x, edge.label_y = bulge - 8, (sy + ty) // 2
        return
    if s.x < t.x:
        x1, x2 = s.x + NODE_WIDTH, t.x
    else:
        x1, x2 = s.x, t.x + NODE_WIDTH
    middle = (x1 + x2) // 2
    edge.path = f"M{x1},{sy} C{middle},{sy} {middle},{ty} {x2},{ty}"
    edge.label_x, edge.label_y = middle, (sy + ty) // 2 - 4
