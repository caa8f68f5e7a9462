from tickets.workflow import AGENT, REQUESTER, T, Workflow

NEW, IN_PROGRESS, ON_HOLD, RESOLVED, CLOSED, CANCELLED = "new", "in_progress", "on_hold", "resolved", "closed", "cancelled"
# A sorted tuple, not a set: SQL built from it must list the states in the same order as the
# partial indexes' predicates, or PostgreSQL cannot prove the index applies (set order varies by process).
OPEN = tuple(sorted({NEW, IN_PROGRESS, ON_HOLD}))

WORKFLOW = Workflow(
    initial=NEW,
    states={
        NEW: "New",
        IN_PROGRESS: "In Progress",
        ON_HOLD: "On Hold",
        RESOLVED: "Resolved",
        CLOSED: "Closed",
        CANCELLED: "Cancelled",
    },
    open_states=frozenset(OPEN),
    paused=frozenset({ON_HOLD}),
    final=frozenset({CLOSED, CANCELLED}),
    stamps={RESOLVED: "resolved_at", CLOSED: "closed_at", CANCELLED: "closed_at"},
    resolved=frozenset({RESOLVED}),
    closed=frozenset({CLOSED}),
    auto_close="close",
    transitions=(
        T("start", {NEW}, IN_PROGRESS, "Start work", style="primary"),
        T("hold", {NEW, IN_PROGRESS}, ON_HOLD, "Put on hold", requires=("hold_reason",)),
        T("resume", {ON_HOLD}, IN_PROGRESS, "Resume", clears=("hold_reason",), style="primary"),
        T("resolve", OPEN, RESOLVED, "Resolve", requires=("resolution_code", "resolution_notes"),
          clears=("hold_reason",), style="success"),
        T("reopen", {RESOLVED}, IN_PROGRESS, "Reopen", roles={AGENT, REQUESTER},
          clears=("resolution_code", "resolution_notes")),
        T("close", {RESOLVED}, CLOSED, "Close", roles={AGENT, REQUESTER}),
        T("cancel", OPEN, CANCELLED, "Cancel", requires=("cancel_reason",), style="danger"),
    ),
)
