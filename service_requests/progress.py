"""Where a requested item stands, in one line for its requester ("Waiting for approval: stage 1 of 2, ...")."""

from approvals.guard import approved
from fulfilment import queries as task_queries
from fulfilment.workflow import FINISHED
from service_requests.models import RequestedItem
from service_requests.workflow import AWAITING_APPROVAL, IN_FULFILMENT, REJECTED


def of(item: RequestedItem) -> str:
    if item.state == AWAITING_APPROVAL:
        return approved(item) or ""
    if item.state == IN_FULFILMENT:
        tasks = list(task_queries.tasks_of(item))
        if tasks:
            finished = sum(1 for task in tasks if task.state in FINISHED)
            return f"{finished} of {len(tasks)} fulfilment tasks done"
        return "Being fulfilled"
    if item.state == REJECTED and item.rejection_reason:
        return f"Rejected: {item.rejection_reason}"
    return ""
