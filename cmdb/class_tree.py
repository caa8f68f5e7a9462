"""CI classes in tree order (each parent before its children, siblings by name), for selects and settings."""

from __future__ import annotations

INDENT = "\u00a0\u00a0"


def in_tree_order(classes) -> list[tuple[object, int]]:
    """(class, depth) for every class given, walked from the roots; one pass, no queries."""
    children: dict = {}
    for ci_class in classes:
        children.setdefault(ci_class.parent_id, []).append(ci_class)
    ordered = []

    def walk(parent_id, depth):
        for ci_class in sorted(children.get(parent_id, []), key=lambda c: c.name.lower()):
            ordered.append((ci_class, depth))
            walk(ci_class.pk, depth + 1)

    walk(None, 0)
    return ordered


def indented(ci_class, depth: int) -> str:
    """A select option's label that shows the class's place in the tree."""
    return INDENT * depth + ("└ " if depth else "") + ci_class.name
