"""Thin Celery tasks: the beat tick, and approval mail sent after commit, safe to redeliver."""

from __future__ import annotations

import logging
from email.utils import parseaddr

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse

from approvals import delegation, links, subjects
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

    A delivery row keyed by the task id and the request (``tickets.tasks.send_once``) makes a
    redelivered task send nothing twice.
    """
    if connection.schema_name != tenant:
        logger.error("tenant mismatch in approval mail task", extra={"expected": tenant, "actual": connection.schema_name})
        return 0
    from django.apps import apps
    from django.contrib.auth import get_user_model

    requests = list(ApprovalRequest.objects.filter(pk__in=request_ids, state=ApprovalRequest.State.PENDING)
                    .select_related("stage__approval"))
    tenant_obj = getattr(connection, "tenant", None)
    domain = getattr(tenant_obj, "primary_domain", None)
    from_email = getattr(tenant_obj, "support_email", "") or settings.DEFAULT_FROM_EMAIL
    sent = 0
    for request in requests:
        approval = request.stage.approval
        ticket = apps.get_model(approval.ticket_type).objects.select_related("requester").filter(
            pk=approval.ticket_id).first()
        recipient = get_user_model().objects.filter(pk=delegation.recipient_for(request.approver_id),
                                                    is_active=True).first()
        if ticket is None or recipient is None or not recipient.email:
            continue
        token = links.make_token(request, recipient.pk)
        path = reverse("approval_link", urlconf=settings.ROOT_URLCONF, kwargs={"token": token})
        context = {"ticket": ticket, "stage": request.stage, "approval": approval, "kind": kind,
                   "recipient": recipient, "on_behalf_of": request.approver if recipient.pk != request.approver_id else None,
                   "summary": subjects.summary_for(ticket), "link": absolute_url(domain, path) if domain else path,
                   "portal_link": absolute_url(domain, f"/portal/approvals/{request.pk}/") if domain else "",
                   "max_age_days": links.max_age() // 86400,
                   "product_name": getattr(tenant_obj, "display_product_name", "Service Desk")}
        message = EmailMessage(SUBJECTS[kind].format(number=ticket.number, title=ticket.title),
                               render_to_string("approvals/email/request.txt", context), from_email, [recipient.email])
        task_id = self.request.id or ""
        if not task_id:  # called directly, not through Celery: nothing can redeliver it
            message.send()
            sent += 1
            continue
        key = f"{task_id}:{request.pk}"
        sender_domain = parseaddr(from_email)[1].rpartition("@")[2] or "localhost"
        message.extra_headers["Message-ID"] = f"<approval.{task_id}.{request.pk}@{sender_domain}>"
        if send_once(message, task_id=key, model_label=approval.ticket_type, ticket_id=ticket.pk,
                     kind=f"approval_{kind}", recipient=recipient.email):
            sent += 1
    logger.info("approval mail sent", extra={"kind": kind, "sent": sent})
    return sent
