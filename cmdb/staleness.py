"""The "CMDB went stale" problem made visible and owned: a task for each stale critical CI.

A live CI of criticality 1 that no discovery source has seen for the tenant's ``stale_after_days`` (or
ever) gets a fulfilment task for its support group, "Verify stale CI <name>: not seen for N days", that
names the CI as affected (``AffectedCI``). At most one such task is open per CI: the scan is run by beat
and may run twice, so the guard is checked with the CI's row locked. The task has no parent ticket
(``fulfilment.services.create_standalone_task``): nothing else asked for it.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cmdb import queries
from cmdb.models import CI, AffectedCI
from fulfilment import services as fulfilment_services
from fulfilment.models import Task
from fulfilment.workflow import FINISHED
from tickets.models import ticket_type_label
from tickets.services import SystemActor

logger = logging.getLogger(__name__)

STALENESS = SystemActor("cmdb staleness")
TITLE_PREFIX = "Verify stale CI "


def title_for(ci: CI, now) -> str:
    if ci.last_seen_at is None:
        return f"{TITLE_PREFIX}{ci.name}: never seen by a discovery source"
    days = (now - ci.last_seen_at).days
    return f"{TITLE_PREFIX}{ci.name}: not seen for {days} day{'s' if days != 1 else ''}"


def open_stale_task_ci_ids(ci_ids) -> set[int]:
    """Of ``ci_ids``, those that already have an unfinished staleness task."""
    label = ticket_type_label(Task)
    open_tasks = Task.objects.exclude(state__in=FINISHED).filter(title__startswith=TITLE_PREFIX, parent_type="")
    return set(AffectedCI.objects.filter(ticket_type=label, ci_id__in=list(ci_ids),
                                         ticket_id__in=open_tasks.values("pk")).values_list("ci_id", flat=True))


def _requester(ci: CI):
    """Whom the task is for: the CI's owner, else its support group's manager, else a tenant admin."""
    for person in (ci.owner_user, ci.support_group.manager if ci.support_group_id else None):
        if person is not None and person.is_active:
            return person
    User = get_user_model()
    return User.objects.filter(is_active=True, role=User.Role.ADMIN).order_by("pk").first()


def raise_stale_tasks(*, now=None) -> list[Task]:
    """One task per stale critical CI that has none open; returns the tasks raised."""
    now = now or timezone.now()
    days = queries.settings().stale_after_days
    stale = list(queries.stale_cis(days, now=now).filter(criticality=CI.Criticality.CRITICAL)
                 .select_related("owner_user", "support_group__manager"))
    waiting = open_stale_task_ci_ids([ci.pk for ci in stale])
    raised = []
    for ci in stale:
        if ci.pk in waiting:
            continue
        with transaction.atomic():
            # Locked, then checked again: two scans at once raise one task between them.
            CI.objects.select_for_update().filter(pk=ci.pk).first()
            if open_stale_task_ci_ids([ci.pk]):
                continue
            requester = _requester(ci)
            if requester is None:
                logger.warning("stale CI has nobody to raise a task for", extra={"ci": ci.pk})
                continue
            task = fulfilment_services.create_standalone_task(
                by=STALENESS, requester=requester, title=title_for(ci, now), assignment_group=ci.support_group,
                description=(f"No discovery source has reported the critical CI **{ci.name}** ({ci.ci_class}) "
                             f"for more than {days} days. Check that it still exists and is still as recorded, "
                             "then update it or retire it."))
            AffectedCI.objects.create(ticket_type=ticket_type_label(Task), ticket_id=task.pk, ci=ci)
            raised.append(task)
    return raised
