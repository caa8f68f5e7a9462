"""Thin Celery tasks: the beat tick, and approval mail sent after commit, safe to redeliver."""

from __future__ import annotations

import logging
from email.utils import parseaddr

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from approvals import delegation, links, subjects
from approvals.due.models import PendingMail
from approvals.models import ApprovalRequest
from approvals.scanner import tick
from tenants.services import absolute_url
from tickets.tasks import send_once

logger = logging.getLogger(__name__)

SUBJECTS = {
    "stage_started": "[{number}] Approval needed: {title}",
    "reminder": "[{number}] Reminder: your approval is needed: {title}",
    "escalated": "[{number}] Escalated to you: approval needed: {title}",
    "info_answered": "[{number}] The requester answered your question: {title}",
}


@shared_task(acks_late=True, ignore_result=True)
def approvals_tick() -> int:
    """Beat, every few seconds, in the public schema: reminders and timeouts due in any tenant."""
    done = tick()
    if done:
        logger.info("approvals tick", extra={"done": dict(done)})
    return sum(done.values())


@shared_task(bind=True, acks_late=True, ignore_result=True, autoretry_for=(ConnectionError,), retry_backoff=True,
             max_retries=5)
def send_approval_mail(self, request_ids: list[int], kind: str, *, tenant: str) -> int:
    """Mail each request's approver (or, while they are away, their delegate) a signed decision link.

    Each request's outbox row (``approvals_due.PendingMail``) is taken and deleted in the
    transaction that sends, so a redelivered task, a late one and the tick's re-send mail once
    between them; a delivery row keyed by the task id and the request (``tickets.tasks.send_once``)
    records it, and a crash before the commit sends the same message (same Message-ID) again.
    """
    if connection.schema_name != tenant:
        logger.error("tenant mismatch in approval mail task", extra={"expected": tenant, "actual": connection.schema_name})
        return 0
    requests = {r.pk: r for r in ApprovalRequest.objects.filter(pk__in=request_ids, state=ApprovalRequest.State.PENDING)
                .select_related("stage__approval")}
    # Requests decided meanwhile need no mail any more.
    PendingMail.objects.filter(schema_name=tenant, kind=kind, request_id__in=set(request_ids) - set(requests)).delete()
    tenant_obj = getattr(connection, "tenant", None)
    domain = getattr(tenant_obj, "primary_domain", None)
    from_email = getattr(tenant_obj, "support_email", "") or settings.DEFAULT_FROM_EMAIL
    sent = 0
    for request in requests.values():
        with transaction.atomic():
            # The outbox row is the guard: whoever takes it first (this task, a late copy, the tick's
            # re-send) mails and deletes it in this transaction; the others find it gone.
            pending = PendingMail.objects.select_for_update().filter(schema_name=tenant, request_id=request.pk,
                                                                    kind=kind).first()
            if pending is None:
                continue
            message = _message(request, kind, domain=domain, from_email=from_email, tenant_obj=tenant_obj)
            pending.delete()
            if message is None:
                continue
            task_id = self.request.id or ""
            if not task_id:  # called directly, not through Celery: nothing can redeliver it
                message.send()
                sent += 1
                continue
            sender_domain = parseaddr(from_email)[1].rpartition("@")[2] or "localhost"
            message.extra_headers["Message-ID"] = f"<approval.{task_id}.{request.pk}@{sender_domain}>"
            approval = request.stage.approval
            if send_once(message, task_id=f"{task_id}:{request.pk}", model_label=approval.ticket_type,
                         ticket_id=approval.ticket_id, kind=f"approval_{kind}", recipient=message.to[0]):
                sent += 1
    logger.info("approval mail sent", extra={"kind": kind, "sent": sent})
    return sent


def _message(request, kind: str, *, domain, from_email: str, tenant_obj) -> EmailMessage | None:
    from django.apps import apps
    from django.contrib.auth import get_user_model

    approval = request.stage.approval
    ticket = apps.get_model(approval.ticket_type).objects.select_related("requester").filter(
        pk=approval.ticket_id).first()
    recipient = get_user_model().objects.filter(pk=delegation.recipient_for(request.approver_id), is_active=True).first()
    if ticket is None or recipient is None or not recipient.email:
        return None
    token = links.make_token(request, recipient.pk)
    path = reverse("approval_link", urlconf=settings.ROOT_URLCONF, kwargs={"token": token})
    context = {"ticket": ticket, "stage": request.stage, "approval": approval, "kind": kind, "recipient": recipient,
               "on_behalf_of": request.approver if recipient.pk != request.approver_id else None,
               "summary": subjects.summary_for(ticket), "link": absolute_url(domain, path) if domain else path,
               "portal_link": absolute_url(domain, f"/portal/approvals/{request.pk}/") if domain else "",
               "max_age_days": links.max_age() // 86400,
               "product_name": getattr(tenant_obj, "display_product_name", "Service Desk")}
    return EmailMessage(SUBJECTS[kind].format(number=ticket.number, title=ticket.title),
                        render_to_string("approvals/email/request.txt", context), from_email, [recipient.email])
