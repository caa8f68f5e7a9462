"""The workflow guard "approved": a transition that names it passes once the ticket's latest approval is approved."""

from approvals.models import Approval, ApprovalStage
from tickets.models import ticket_type_label


def approved(ticket) -> str | None:
    approval = (Approval.objects.filter(ticket_type=ticket_type_label(ticket), ticket_id=ticket.pk)
                .order_by("-created_at", "-id").first())
    if approval is None:
        return "No approval has been requested."
    if approval.state == Approval.State.APPROVED:
        return None
    if approval.state == Approval.State.REJECTED:
        return f"The approval was rejected: {approval.reason.rstrip('.')}."
    if approval.state == Approval.State.CANCELLED:
        return f"The approval was cancelled: {approval.reason.rstrip('.')}."
    stages = list(ApprovalStage.objects.filter(approval=approval).order_by("order").values_list("name", "state"))
    position = next((index for index, (_, state) in enumerate(stages, 1) if state == ApprovalStage.State.PENDING), None)
    if position is None:
        return "Waiting for approval."
    return f"Waiting for approval: stage {position} of {len(stages)}, {stages[position - 1][0]}."
