"""The kinds of link between tickets, declared as data.

A kind is stored once per link (``TicketLink.kind``) and read from either side: from its source
with ``label`` ("causes"), from its target with ``reverse_label`` ("caused by"). Forms and the API
name a kind by the side they stand on (``causes`` / ``caused_by``), so "INC2 is caused by INC1",
entered on INC2's page, is stored as "INC1 causes INC2".

A kind says which ticket types may stand on each side (model labels; ``None``: any registered
type). A process adds its own kinds when its app loads, e.g. in ``problems/apps.py``::

    register(LinkKind("problem_of", "problem of", "problem",
                      source_types={"problems.problem"}, target_types={"incidents.incident"}))
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkKind:
    name: str
    label: str
    reverse_label: str
    source_types: frozenset[str] | None = None
    target_types: frozenset[str] | None = None
    # Both tickets must be of one type (a duplicate incident duplicates an incident).
    same_type: bool = False
    # Reads the same from both sides ("related to"): there is one side name, not two.
    symmetric: bool = False
    # A one-level hierarchy (parent of / child of): a ticket has at most one parent, a parent is no
    # one's child and a child has no children (an incident's master and its children).
    hierarchy: bool = False
    # Links of this kind belong to the process that makes them (a fulfilment task's link to its parent):
    # the links form does not offer them and the links service neither makes nor removes them by hand
    # (link_by_number, unlink), giving this text as the reason.
    managed: str = ""

    def __post_init__(self):
        for name in ("source_types", "target_types"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, frozenset(value))

    @property
    def side_names(self) -> tuple[str, str]:
        """(from the source, from the target), e.g. ("causes", "caused_by")."""
        return _side_name(self.label), _side_name(self.reverse_label)

    def label_from(self, *, source: bool) -> str:
        return self.label if source else self.reverse_label

    def admits(self, ticket_or_model, *, as_source: bool) -> bool:
        """Whether this type of ticket may stand on that side (a symmetric kind: on both)."""
        label = ticket_or_model._meta.label_lower
        sides = [self.source_types, self.target_types] if self.symmetric else \
            [self.source_types if as_source else self.target_types]
        return all(types is None or label in types for types in sides)

    def refusal(self, source, target) -> str | None:
        """Why this kind cannot link ``source`` to ``target`` (tickets or models), or None."""
        source_label, target_label = source._meta.label_lower, target._meta.label_lower
        if self.same_type and source_label != target_label:
            return (f"Only tickets of the same type can be '{self.label}' each other: "
                    f"{_a(source)} cannot be {self.label} {_a(target)}.")
        if self.source_types is not None and source_label not in self.source_types:
            return f"{_a(source).capitalize()} cannot be {self.label} {_a(target)}."
        if self.target_types is not None and target_label not in self.target_types:
            return f"{_a(source).capitalize()} cannot be {self.label} {_a(target)}."
        return None


def _side_name(label: str) -> str:
    return label.replace(" ", "_")


def _a(ticket_or_model) -> str:
    noun = str(ticket_or_model._meta.verbose_name)
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


KINDS: dict[str, LinkKind] = {}
# Side name -> (kind, True when the side is the link's source).
SIDES: dict[str, tuple[LinkKind, bool]] = {}


def register(kind: LinkKind) -> LinkKind:
    forward, backward = kind.side_names
    if kind.symmetric and forward != backward:
        raise ValueError(f"Link kind {kind.name!r} is symmetric but reads differently from each side.")
    names = {forward} if kind.symmetric else {forward, backward}
    taken = {name for name in names if name in SIDES and SIDES[name][0].name != kind.name}
    if taken or (kind.name in KINDS and KINDS[kind.name] != kind):
        raise ValueError(f"Link kind {kind.name!r} clashes with a registered kind ({', '.join(sorted(taken))}).")
    KINDS[kind.name] = kind
    SIDES[forward] = (kind, True)
    if not kind.symmetric:
        SIDES[backward] = (kind, False)
    return kind


def side_choices(ticket_or_model=None) -> list[tuple[str, str]]:
    """Side names with their labels, for the API's ``kind`` field (all) and a ticket's add form
    (those its type may stand on, made by hand; whether the other ticket fits is the service's to say)."""
    return [(name, name.replace("_", " ").capitalize()) for name, (kind, is_source) in SIDES.items()
            if ticket_or_model is None or (kind.admits(ticket_or_model, as_source=is_source) and not kind.managed)]


CAUSES = register(LinkKind("causes", "causes", "caused by"))
PARENT = register(LinkKind("parent", "parent of", "child of", hierarchy=True))
DUPLICATE = register(LinkKind("duplicate", "duplicate of", "duplicated by", same_type=True))
RELATED = register(LinkKind("related", "related to", "related to", symmetric=True))


def unregister(name: str) -> None:
    """Forget a kind (tests; an app that is being removed). Its stored links are then left out of reads."""
    kind = KINDS.pop(name, None)
    for side in (kind.side_names if kind else ()):
        if SIDES.get(side, (None,))[0] == kind:
            del SIDES[side]
