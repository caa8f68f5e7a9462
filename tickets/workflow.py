"""Declarative state machines.

Each ticket type declares its states and named transitions once; the one
``services.transition`` function applies them, the UI renders buttons from
them and the API exposes them as ``/actions/<name>/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.exceptions import InvalidTransition

AGENT = "agent"
REQUESTER = "requester"

# What a transition means to people and listeners, whatever the type calls its states
# (Workflow.meaning): mail, SLA and integrations ask for these, never for a state's name.
RESOLVES = "resolves"  # into a resolved state: the work is done, the requester is told
CLOSES = "closes"  # into a closed state: the ticket is finished for good
REOPENS = "reopens"  # from a resolved or closed state back into an open one


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    label: str
    # Ticket fields the caller must supply (non-empty) to take this transition.
    requires: tuple[str, ...] = ()
    # Ticket fields the caller may supply along with it.
    accepts: tuple[str, ...] = ()
    # Who may take it: agents always work the desk; some steps are the requester's too.
    roles: frozenset[str] = frozenset({AGENT})
    # Field values cleared when this transition is taken (e.g. hold reason on resume).
    clears: tuple[str, ...] = ()
    # Checks by name that floors above the core register (tickets.guards): "approved", "all_tasks_done".
    guards: tuple[str, ...] = ()
    style: str = "secondary"

    @property
    def fields(self) -> tuple[str, ...]:
        return self.requires + tuple(f for f in self.accepts if f not in self.requires)


def T(name, sources, target, label=None, **kwargs) -> Transition:
    return Transition(
        name=name,
        sources=frozenset(sources),
        target=target,
        label=label or name.replace("_", " ").capitalize(),
        roles=frozenset(kwargs.pop("roles", {AGENT})),
        guards=tuple(kwargs.pop("guards", ())),
        **kwargs,
    )


@dataclass(frozen=True)
class Workflow:
    initial: str
    states: dict[str, str]  # value -> label, in display order
    transitions: tuple[Transition, ...]
    open_states: frozenset[str] = frozenset()
    # States in which SLA clocks pause ("waiting on someone else").
    paused: frozenset[str] = frozenset()
    final: frozenset[str] = frozenset()
    # Timestamp field set on entering a state, cleared when the ticket re-enters an open state.
    stamps: dict[str, str] = field(default_factory=dict)
    # The meaning of states (see RESOLVES, CLOSES, REOPENS): the work is done, awaiting confirmation
    # (e.g. "resolved", "fixed", "fulfilled"); the ticket is closed after being done (not cancelled).
    resolved: frozenset[str] = frozenset()
    closed: frozenset[str] = frozenset()
    # The transition the desk takes on its own (tickets.services.auto_close) once a ticket has sat
    # in one of its source states for the tenant's auto_close_days, counted from that state's stamp.
    auto_close: str = ""
    by_name: dict[str, Transition] = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {t.name: t for t in self.transitions})
        unknown = {s for t in self.transitions for s in t.sources | {t.target}} - set(self.states)
        unknown |= (self.resolved | self.closed | self.open_states | self.paused | self.final | set(self.stamps)) - set(self.states)
        if unknown or self.initial not in self.states:
            raise ValueError(f"Workflow refers to undeclared states: {sorted(unknown)}")
        if self.resolved & self.open_states or self.closed & self.open_states:
            raise ValueError("A resolved or closed state cannot also be open.")
        if self.auto_close:
            step = self.by_name.get(self.auto_close)
            if step is None:
                raise ValueError(f"auto_close names an undeclared transition: {self.auto_close!r}")
            if step.requires or AGENT not in step.roles:
                raise ValueError(f"auto_close '{self.auto_close}' must be an agent's transition that requires no fields")
            unstamped = sorted(s for s in step.sources if s not in self.stamps)
            if unstamped:
                raise ValueError(f"auto_close '{self.auto_close}' starts from states without a stamp to count from: {unstamped}")

    def state_choices(self) -> list[tuple[str, str]]:
        return list(self.states.items())

    def meaning(self, source: str, target: str) -> str:
        """RESOLVES, CLOSES, REOPENS or "" for a move from ``source`` to ``target``."""
        done = self.resolved | self.closed
        if target in self.resolved and source not in self.resolved:
            return RESOLVES
        if target in self.closed and source not in self.closed:
            return CLOSES
        if source in done and target in self.open_states:
            return REOPENS
        return ""

    def available(self, state: str, *, role: str = AGENT) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources and role in t.roles]

    def step(self, state: str, action: str, *, role: str = AGENT) -> Transition:
        transition = self.by_name.get(action)
        if transition is None:
            raise InvalidTransition(
                f"Unknown action '{action}'. Known actions: {', '.join(sorted(self.by_name))}.",
                fields={"action": [f"Unknown action '{action}'."]},
            )
        if role not in transition.roles:
            raise InvalidTransition(f"You are not allowed to {transition.label.lower()} this ticket.")
        if state not in transition.sources:
            allowed = ", ".join(self.states[s] for s in sorted(transition.sources))
            raise InvalidTransition(
                f"Cannot {transition.label.lower()} a ticket that is {self.states[state]}; "
                f"it must be one of: {allowed}."
            )
        return transition
