"""Out of office: while a person is away, their delegate decides their approvals.

Delegation follows a chain (A away -> B; B away too -> C), which the rules below keep free of
loops: a period that would let the chain come back to its start is refused when it is saved.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from approvals.models import OutOfOffice
from core.exceptions import ValidationFailed

MAX_CHAIN = 20


def today() -> date:
    return timezone.localdate()


def active_map(on: date) -> dict[int, int]:
    """{user id: delegate id} for everyone away on ``on`` (one query)."""
    return dict(OutOfOffice.objects.filter(starts_on__lte=on, ends_on__gte=on).values_list("user_id", "delegate_id"))


def acting_for(approver_id: int, *, on: date | None = None, away: dict[int, int] | None = None) -> list[int]:
    """Who may decide in ``approver_id``'s place on ``on``: the delegation chain while each is away."""
    away = active_map(on or today()) if away is None else away
    chain, current = [], approver_id
    while current in away and len(chain) < MAX_CHAIN:
        current = away[current]
        if current == approver_id or current in chain:
            break
        chain.append(current)
    return chain


def recipient_for(approver_id: int, *, away: dict[int, int] | None = None) -> int:
    """Whom to mail about ``approver_id``'s approval today: the end of the delegation chain."""
    chain = acting_for(approver_id, away=away)
    return chain[-1] if chain else approver_id


def delegators_of(user_id: int, *, on: date | None = None) -> set[int]:
    """People whose approvals ``user_id`` may decide today as their (possibly indirect) delegate."""
    away = active_map(on or today())
    return {approver for approver in away if user_id in acting_for(approver, away=away)}


def may_act_for(user_id: int, approver_id: int) -> bool:
    return user_id == approver_id or user_id in acting_for(approver_id)


def set_out_of_office(*, by, delegate, starts_on: date, ends_on: date) -> OutOfOffice:
    """Replace ``by``'s away period. Refuses oneself, inactive people, reversed dates and loops."""
    errors: dict[str, list[str]] = {}
    if delegate is None:
        errors["delegate"] = ["Choose who decides your approvals while you are away."]
    elif delegate.pk == by.pk:
        errors["delegate"] = ["You cannot delegate to yourself."]
    elif not delegate.is_active:
        errors["delegate"] = [f"{delegate} is not an active user."]
    if starts_on is None:
        errors["starts_on"] = ["Give the first day you are away."]
    if ends_on is None:
        errors["ends_on"] = ["Give the last day you are away."]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = ["The last day cannot be before the first."]
    if errors:
        raise ValidationFailed("Your out-of-office was not saved.", fields=errors)
    with transaction.atomic():
        # The people on the chain are locked in id order, so two people setting up a loop at once
        # cannot both pass the check.
        overlapping = {row.user_id: row.delegate_id for row in OutOfOffice.objects.select_for_update()
                       .filter(starts_on__lte=ends_on, ends_on__gte=starts_on).exclude(user=by).order_by("user_id")}
        path, current = [by.pk, delegate.pk], delegate.pk
        while current in overlapping and len(path) <= MAX_CHAIN:
            current = overlapping[current]
            path.append(current)
            if current == by.pk:
                names = dict(get_user_model().objects.filter(pk__in=path).values_list("pk", "full_name"))
                loop = " -> ".join(names.get(pk) or str(pk) for pk in path)
                raise ValidationFailed("Your out-of-office was not saved.",
                                       fields={"delegate": [f"Delegation would loop: {loop}."]})
        period, _ = OutOfOffice.objects.update_or_create(
            user=by, defaults={"delegate": delegate, "starts_on": starts_on, "ends_on": ends_on})
    return period


def clear_out_of_office(*, by) -> None:
    OutOfOffice.objects.filter(user=by).delete()
