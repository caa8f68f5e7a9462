"""Contract renewal reminders: mail the owner (or, without one, the tenant admins) once per end date.

A contract is due when today is inside its notice window (``ends_on - renewal_notice_days`` to
``ends_on``) and ``reminded_for`` is not its end date. Each contract is locked, mailed and stamped in
one transaction, so a second run (or a redelivered task) finds it stamped; a crash before the commit
leaves it unstamped and it is mailed again on the next run. Moving the end date clears the stamp
(``assets.contracts.update_contract``), so the new end date is reminded in its turn.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import DateField, ExpressionWrapper, F, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from assets.models import Contract
from tenants.services import absolute_url

logger = logging.getLogger(__name__)


def due(today: datetime.date):
    """Contracts whose notice window is open today and whose current end date has not been reminded."""
    notice_starts = ExpressionWrapper(F("ends_on") - F("renewal_notice_days") * datetime.timedelta(days=1),
                                      output_field=DateField())
    return (Contract.objects.annotate(notice_starts=notice_starts)
            .filter(ends_on__gte=today, notice_starts__lte=today)
            .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("ends_on"))))


def recipients(contract: Contract) -> list[str]:
    owner = contract.owner
    if owner is not None and owner.is_active and owner.email:
        return [owner.email]
    User = get_user_model()
    return list(User.objects.filter(role=User.Role.ADMIN, is_active=True).exclude(email="")
                .order_by("email").values_list("email", flat=True))


def _link(contract: Contract, domain) -> str:
    try:
        path = reverse("assets:contract", urlconf=settings.ROOT_URLCONF, kwargs={"pk": contract.pk})
    except NoReverseMatch:
        return ""
    return absolute_url(domain, path) if domain else path


def _message(contract: Contract, to: list[str], today: datetime.date) -> EmailMessage:
    tenant = getattr(connection, "tenant", None)
    from_email = getattr(tenant, "support_email", "") or settings.DEFAULT_FROM_EMAIL
    assets = list(contract.assets.order_by("asset_tag").values_list("asset_tag", "name"))
    context = {"contract": contract, "days_left": (contract.ends_on - today).days, "assets": assets,
               "link": _link(contract, getattr(tenant, "primary_domain", None)),
               "product_name": getattr(tenant, "display_product_name", "Service Desk")}
    subject = f"Contract renewal: {contract} ends on {contract.ends_on:%d %b %Y}"
    return EmailMessage(subject, render_to_string("assets/email/renewal_reminder.txt", context), from_email, to)


def send_renewal_reminders(today: datetime.date | None = None) -> int:
    """Mail every due contract of the current tenant once; returns how many were mailed."""
    today = today or timezone.localdate()
    sent = 0
    for contract_id in due(today).values_list("pk", flat=True):
        with transaction.atomic():
            contract = (due(today).select_for_update(of=("self",), skip_locked=True).select_related("owner")
                        .filter(pk=contract_id).first())
            if contract is None:  # another run took it, or it changed meanwhile
                continue
            to = recipients(contract)
            if to:
                _message(contract, to, today).send()
                sent += 1
            else:
                logger.warning("contract reminder has nobody to go to", extra={"contract": contract.pk})
            Contract.objects.filter(pk=contract.pk).update(reminded_for=contract.ends_on)
    return sent
