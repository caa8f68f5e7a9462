"""Thin Celery tasks: the beat tick, and escalation mails sent after the firing commits."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from sla import actions, scanner, services
from sla.due.models import PendingMail
from sla.models import Firing

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def sla_tick() -> int:
    """Beat, every few seconds, in the public schema: fire whatever is due in any tenant."""
    taken = scanner.tick()
    if taken:
        logger.info("sla tick", extra={"due_clocks": taken})
    return taken


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def send_escalation_notifications(firing_ids: list[int], *, tenant: str) -> int:
    """Mail the people notify rules name (one tenant's; messages of before ``send_escalation_mail``). Each firing, locked and stamped, is mailed once even if the task is redelivered."""
    if connection.schema_name != tenant:
        logger.error("tenant mismatch in escalation task", extra={"expected": tenant, "actual": connection.schema_name})
        return 0
    return sum(_mail_firing(firing_id) for firing_id in firing_ids)


@shared_task(acks_late=True, ignore_result=True)
def send_escalation_mail(firings_by_tenant: dict[str, list[int]]) -> int:
    """One tick's escalation mails, for every tenant it fired in; sent from the public schema.

    Each tenant's firings are looked up and mailed inside that tenant's own schema (and with its
    sender address), so a firing id is never read in another tenant. A tenant that fails is logged
    and left to its outbox rows, which the tick re-sends: the others are not held up by it.
    """
    from django_tenants.utils import tenant_context

    from tenants.models import Tenant

    connection.set_schema_to_public()
    tenants = {t.schema_name: t for t in Tenant.objects.filter(schema_name__in=list(firings_by_tenant))}
    sent = 0
    for schema, firing_ids in firings_by_tenant.items():
        tenant = tenants.get(schema)
        if tenant is None:  # deleted since: the tick drops its outbox rows
            continue
        try:
            with tenant_context(tenant):
                sent += sum(_mail_firing(firing_id) for firing_id in firing_ids)
        except Exception:
            logger.exception("sla escalation mail failed; the outbox re-sends it", extra={"tenant": schema})
    return sent


def _mail_firing(firing_id: int) -> int:
    from django.apps import apps

    with transaction.atomic():
        firing = Firing.objects.select_for_update().select_related("clock__calendar").filter(pk=firing_id).first()
        PendingMail.objects.filter(schema_name=connection.schema_name, firing_id=firing_id).delete()
        if firing is None or firing.notified_at is not None:
            return 0
        clock = firing.clock
        ticket = (apps.get_model(clock.ticket_type).objects.select_related("assignee", "assignment_group__manager")
                  .filter(pk=clock.ticket_id).first())
        if ticket is None:
            return 0
        people = actions.recipients(firing.action, ticket)
        subject = f"[{ticket.number}] {actions.describe(clock, firing.threshold)}: {ticket.title}"
        body = (f"{actions.describe(clock, firing.threshold)} on {ticket.number} “{ticket.title}”.\n\n"
                f"Priority: {ticket.get_priority_display()}\nState: {ticket.state_label}\n"
                f"Due: {services.deadline_text(clock)}\n")
        from_email = getattr(getattr(connection, "tenant", None), "support_email", "") or settings.DEFAULT_FROM_EMAIL
        for person in people:
            EmailMessage(subject, body, from_email, [person.email]).send()
        firing.notified_at = timezone.now()
        firing.save(update_fields=["notified_at"])
    logger.info("sla escalation mailed", extra={"ticket": ticket.number, "to": [p.email for p in people]})
    return len(people)
