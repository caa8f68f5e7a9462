import pytest

from core.exceptions import NotPermitted, ValidationFailed
from tests.factories import AdminFactory, make_incident
from tickets.models import PriorityMatrixEntry
from tickets.services import compute_priority, set_priority_matrix

FULL = {(i, u): 5 for i in (1, 2, 3) for u in (1, 2, 3)}


def test_default_matrix_is_itil_like(tenant):
    assert compute_priority(1, 1) == 1 and compute_priority(2, 2) == 3 and compute_priority(3, 3) == 5


def test_admin_edits_matrix_and_new_tickets_follow_it(tenant, requester):
    admin = AdminFactory()
    set_priority_matrix(by=admin, cells={**FULL, (1, 1): 2})
    assert make_incident(by=requester, impact=1, urgency=1).priority == 2
    assert make_incident(by=requester, impact=2, urgency=1).priority == 5


def test_matrix_refuses_incomplete_or_out_of_range_and_changes_nothing(tenant):
    admin = AdminFactory()
    before = list(PriorityMatrixEntry.objects.values_list("impact", "urgency", "priority"))
    with pytest.raises(ValidationFailed):
        set_priority_matrix(by=admin, cells={(1, 1): 1})
    with pytest.raises(ValidationFailed) as exc:
        set_priority_matrix(by=admin, cells={**FULL, (2, 2): 9})
    assert "2x2" in exc.value.fields
    assert list(PriorityMatrixEntry.objects.values_list("impact", "urgency", "priority")) == before


def test_only_admins_edit_the_matrix(tenant, agent):
    with pytest.raises(NotPermitted):
        set_priority_matrix(by=agent, cells=FULL)
