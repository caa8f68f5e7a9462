"""The problem lifecycle (ITIL problem control): assess, find the root cause, fix it, close it."""

from tickets.workflow import T, Workflow

NEW, ASSESS, RCA, FIX_IN_PROGRESS, RESOLVED, CLOSED, CANCELLED = (
    "new", "assess", "root_cause_analysis", "fix_in_progress", "resolved", "closed", "cancelled")
# Sorted, as incidents.workflow.OPEN: SQL built from it must match the partial indexes' predicates.
OPEN = tuple(sorted({NEW, ASSESS, RCA, FIX_IN_PROGRESS}))

WORKFLOW = Workflow(
    initial=NEW,
    states={
        NEW: "New",
        ASSESS: "Assess",
        RCA: "Root Cause Analysis",
        FIX_IN_PROGRESS: "Fix in Progress",
        RESOLVED: "Resolved",
        CLOSED: "Closed",
        CANCELLED: "Cancelled",
    },
    open_states=frozenset(OPEN),
    final=frozenset({CLOSED, CANCELLED}),
    stamps={RESOLVED: "resolved_at", CLOSED: "closed_at", CANCELLED: "closed_at"},
    transitions=(
        T("assess", {NEW}, ASSESS, "Start assessment", style="primary"),
        T("analyse", {NEW, ASSESS}, RCA, "Start root cause analysis", style="primary"),
        # Leaving root cause analysis for a fix needs the root cause written down.
        T("start_fix", {RCA}, FIX_IN_PROGRESS, "Start fix", requires=("root_cause",),
          accepts=("root_cause_category",), style="primary"),
        T("resolve", {FIX_IN_PROGRESS}, RESOLVED, "Resolve", requires=("resolution_code", "resolution_notes"),
          accepts=("permanent_fix",), style="success"),
        T("reopen", {RESOLVED}, RCA, "Reopen", clears=("resolution_code", "resolution_notes")),
        T("close", {RESOLVED}, CLOSED, "Close"),
        T("cancel", OPEN, CANCELLED, "Cancel", requires=("cancel_reason",), style="danger"),
    ),
)
