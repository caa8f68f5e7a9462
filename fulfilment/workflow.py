"""The life of a fulfilment task: waiting for its turn, open, worked, done or cancelled.

Tasks of one parent run in steps: the tasks of a step open together, and only once every task
of the earlier steps is finished (done or cancelled). Until then a task is "pending": not an
open state, so it stays out of the queues' open counters and "My work".

A task is internal work: its "done" is a closed state, never a resolved one, so
``Workflow.meaning`` gives CLOSES and nobody is mailed "resolved" for it; the parent's own
workflow tells its requester when the whole thing is finished.
"""

from tickets.workflow import T, Workflow

PENDING, OPEN, IN_PROGRESS, ON_HOLD, DONE, CANCELLED = (
    "pending", "open", "in_progress", "on_hold", "done", "cancelled")
# Sorted, as the other types' OPEN: SQL built from it must match the partial indexes' predicates.
OPEN_STATES = tuple(sorted({OPEN, IN_PROGRESS, ON_HOLD}))
# A finished task no longer holds its step back.
FINISHED = frozenset({DONE, CANCELLED})

# The guard on "open": a pending task waits for every task of the earlier steps (fulfilment.sequencing).
EARLIER_TASKS_DONE = "earlier_tasks_done"

WORKFLOW = Workflow(
    initial=PENDING,
    states={
        PENDING: "Pending",
        OPEN: "Open",
        IN_PROGRESS: "In progress",
        ON_HOLD: "On hold",
        DONE: "Done",
        CANCELLED: "Cancelled",
    },
    open_states=frozenset(OPEN_STATES),
    paused=frozenset({ON_HOLD}),
    final=FINISHED,
    stamps={DONE: "closed_at", CANCELLED: "closed_at"},
    closed=frozenset({DONE}),
    transitions=(
        # Taken by the desk itself when the earlier steps finish; an agent may take it by hand only when the
        # guard agrees (a task whose earlier tasks were removed), and to take an on-hold task back up.
        T("open", {PENDING, ON_HOLD}, OPEN, "Open", guards=(EARLIER_TASKS_DONE,), clears=("hold_reason",),
          style="primary"),
        T("start", {OPEN}, IN_PROGRESS, "Start work", style="primary"),
        T("hold", {OPEN, IN_PROGRESS}, ON_HOLD, "Put on hold", requires=("hold_reason",)),
        T("done", {OPEN, IN_PROGRESS}, DONE, "Mark done", accepts=("completion_notes",), style="success"),
        T("cancel", {PENDING, OPEN, IN_PROGRESS, ON_HOLD}, CANCELLED, "Cancel", requires=("cancel_reason",),
          style="danger"),
    ),
)
