import logging
from email.utils import parseaddr

from celery import shared_task
from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string

from tenants.services import absolute_url
from tickets import registry, services
from tickets.models import NotificationDelivery, TimelineEntry

logger = logging.getLogger(__name__)

SUBJECTS = {
    "created": "[{number}] We have received your request: {title}",
    "assigned": "[{number}] Assigned to you: {title}",
    "reply_to_requester": "[{number}] New reply: {title}",
    "reply_to_assignee": "[{number}] Requester replied: {title}",
    "resolved": "[{number}] Resolved: {title}",
    "reopened": "[{number}] Reopened: {title}",
}


@shared_task(acks_late=True, ignore_result=True)
def auto_close_all_tenants() -> None:
    """Beat: fan out one task per active tenant; each carries its tenant in its headers."""
    from django_tenants.utils import get_tenant_model, tenant_context

    for tenant in get_tenant_model().objects.exclude(schema_name="public").filter(status="active"):
        with tenant_context(tenant):
            auto_close.delay(tenant=tenant.schema_name)


@shared_task(acks_late=True, ignore_result=True)
def auto_close(*, tenant: str) -> int:
    """Close what every registered type's workflow closes on its own (``Workflow.auto_close``)."""
    if connection.schema_name != tenant:
        logger.error("tenant mismatch in auto-close task", extra={"expected": tenant, "actual": connection.schema_name})
        return 0
    return sum(services.auto_close(model) for model in registry.ticket_models() if model.workflow.auto_close)


@shared_task(bind=True, acks_late=True, ignore_result=True, autoretry_for=(ConnectionError,), retry_backoff=True,
             max_retries=5)
def send_ticket_notification(self, model_label, ticket_id, kind, *, actor_id=None, entry_id=None, tenant=None):
    # The schema is switched from the task headers (tenant-schemas-celery); the explicit
    # argument is a second guard that the two agree before any mail leaves.
    if tenant and connection.schema_name != tenant:
        logger.error("tenant mismatch in notification task", extra={"expected": tenant, "actual": connection.schema_name})
        return
    model = apps.get_model(model_label)
    ticket = model.objects.select_related("requester", "assignee").filter(pk=ticket_id).first()
    if ticket is None:
        return
    if kind in {"created", "reply_to_requester", "resolved"}:
        recipient = ticket.requester
    else:
        recipient = ticket.assignee
    if recipient is None or not recipient.email or not recipient.is_active:
        return
    if recipient.pk == actor_id and kind != "created":  # nobody needs mail about their own action
        return
    entry = TimelineEntry.objects.filter(pk=entry_id, is_public=True).first() if entry_id else None
    tenant_obj = getattr(connection, "tenant", None)
    context = {
        "ticket": ticket,
        "kind": kind,
        "entry": entry,
        "recipient": recipient,
        "product_name": getattr(tenant_obj, "display_product_name", "Service Desk"),
        "ticket_url": _ticket_url(ticket, recipient, tenant_obj),
    }
    body = render_to_string("tickets/email/notification.txt", context)
    from_email = getattr(tenant_obj, "support_email", "") or settings.DEFAULT_FROM_EMAIL
    message = EmailMessage(SUBJECTS[kind].format(number=ticket.number, title=ticket.title), body, from_email,
                           [recipient.email])
    task_id = self.request.id or ""
    if not task_id:  # called directly, not through Celery: nothing can redeliver it
        message.send()
        logger.info("notification sent", extra={"ticket": ticket.number, "kind": kind, "to": recipient.email})
        return
    # One Message-ID per task: if a worker dies after the mail server accepted the message but before
    # the delivery row committed, the redelivered task sends the same message again, and mail servers
    # and clients recognise the copy by its Message-ID.
    domain = parseaddr(from_email)[1].rpartition("@")[2] or "localhost"
    message.extra_headers["Message-ID"] = f"<notification.{task_id}@{domain}>"
    if not send_once(message, task_id=task_id, model_label=model_label, ticket_id=ticket.pk, kind=kind,
                      recipient=recipient.email):
        logger.info("notification already sent", extra={"ticket": ticket.number, "kind": kind, "to": recipient.email})
        return
    logger.info("notification sent", extra={"ticket": ticket.number, "kind": kind, "to": recipient.email})


def send_once(message, *, task_id: str, model_label: str, ticket_id: int, kind: str, recipient: str) -> bool:
    """Send ``message`` unless this task already did; False when it had.

    The delivery row is inserted before the send and committed after it: a second run of the
    same task (a redelivery, even one running at the same moment) waits on the unique index
    and then finds the row, while a crash before the commit leaves no row and the mail is sent again.
    """
    try:
        with transaction.atomic():
            NotificationDelivery.objects.create(task_id=task_id, ticket_type=model_label, ticket_id=ticket_id,
                                                kind=kind, recipient=recipient)
            message.send()
    except IntegrityError:
        return False
    return True


def _ticket_url(ticket, recipient, tenant) -> str:
    """The link in the mail: the desk page for agents, the portal page for requesters."""
    from django.urls import NoReverseMatch, reverse

    domain = tenant.primary_domain if tenant is not None and hasattr(tenant, "primary_domain") else None
    if not domain:
        return ""
    from tickets import types

    ticket_type = types.for_model(ticket)
    if ticket_type is None:  # a ticket model nobody registered has no pages
        return ""
    if recipient.is_agent:
        view, kwargs = "desk:detail", {"type_slug": ticket_type.slug, "number": ticket.number}
    elif ticket_type.in_portal:
        view, kwargs = "portal:detail", {"number": ticket.number}
    else:
        return ""
    try:
        path = reverse(view, urlconf=settings.ROOT_URLCONF, kwargs=kwargs)
    except NoReverseMatch:
        return ""
    return absolute_url(domain, path)
