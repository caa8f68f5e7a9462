"""The two workflows of a service request: the order (REQ) and each item ordered (RITM).

An item waits for approval, is fulfilled (its tasks done) or rejected with a reason, or is cancelled.
The request holds its items: it is open while any item is open and closes on its own, as the system,
when the last one closes (service_requests.listeners); cancelling it cancels its open items.
"""

from tickets.workflow import T, Workflow

# -- the requested item (RITM) ------------------------------------------------------------------------
AWAITING_APPROVAL, IN_FULFILMENT, FULFILLED, REJECTED, CANCELLED = (
    "awaiting_approval", "in_fulfilment", "fulfilled", "rejected", "cancelled")
ITEM_OPEN = tuple(sorted({AWAITING_APPROVAL, IN_FULFILMENT}))

ITEM_WORKFLOW = Workflow(
    initial=IN_FULFILMENT,  # approvals.services.start_approval moves a new item to AWAITING_APPROVAL
    states={
        AWAITING_APPROVAL: "Awaiting approval",
        IN_FULFILMENT: "In fulfilment",
        FULFILLED: "Fulfilled",
        REJECTED: "Rejected",
        CANCELLED: "Cancelled",
    },
    open_states=frozenset(ITEM_OPEN),
    paused=frozenset({AWAITING_APPROVAL}),  # the desk waits on the approvers, not on itself
    final=frozenset({FULFILLED, REJECTED, CANCELLED}),
    stamps={FULFILLED: "resolved_at", REJECTED: "closed_at", CANCELLED: "closed_at"},
    # Fulfilled is the requester's "it is done" (Workflow.meaning -> resolves: the resolved mail).
    resolved=frozenset({FULFILLED}),
    transitions=(
        T("approve", {AWAITING_APPROVAL}, IN_FULFILMENT, "Start fulfilment", guards=("approved",),
          style="primary"),
        T("fulfil", {IN_FULFILMENT}, FULFILLED, "Mark fulfilled", guards=("all_tasks_done",), style="success"),
        T("reject", {AWAITING_APPROVAL, IN_FULFILMENT}, REJECTED, "Reject", requires=("rejection_reason",),
          style="danger"),
        # The desk's, for now: the portal's requester actions take no fields, and a cancellation needs its reason.
        T("cancel", ITEM_OPEN, CANCELLED, "Cancel", requires=("cancel_reason",), style="danger"),
    ),
)

# -- the request (REQ) --------------------------------------------------------------------------------
OPEN, CLOSED = "open", "closed"
REQUEST_OPEN = (OPEN,)

REQUEST_WORKFLOW = Workflow(
    initial=OPEN,
    states={OPEN: "Open", CLOSED: "Closed", CANCELLED: "Cancelled"},
    open_states=frozenset(REQUEST_OPEN),
    final=frozenset({CLOSED, CANCELLED}),
    stamps={CLOSED: "closed_at", CANCELLED: "closed_at"},
    closed=frozenset({CLOSED}),
    transitions=(
        # Taken by the system when the last item closes; an agent may take it too once nothing is open.
        T("close", {OPEN}, CLOSED, "Close", guards=("all_items_closed",), style="success"),
        T("cancel", {OPEN}, CANCELLED, "Cancel request", requires=("cancel_reason",), style="danger"),
    ),
)
