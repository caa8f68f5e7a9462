"""Out of office: a delegate decides while the approver is away; no delegation to oneself, no loop."""

from datetime import date

import pytest

from approvals import delegation, queries, services
from approvals.models import OutOfOffice
from core.exceptions import NotPermitted, ValidationFailed
from tests.approvals.conftest import at, pending_requests
from tests.factories import RequesterFactory


@pytest.fixture
def deputy(tenant):
    return RequesterFactory(full_name="Dora Deputy")


def test_the_delegate_decides_while_the_approver_is_away(ticket, employee, manager, deputy, make_chain):
    with at(date(2026, 12, 7)):
        delegation.set_out_of_office(by=manager, delegate=deputy, starts_on=date(2026, 12, 7),
                                     ends_on=date(2026, 12, 11))
        approval = services.start_approval(ticket, make_chain({"kind": "manager"}), by=employee)
        [request] = pending_requests(approval)
        assert list(queries.waiting_for(deputy)) == [request]
        assert list(queries.waiting_for(manager)) == [request]  # the approver may still decide too
        services.decide(request, by=deputy, decision="approve", comment="For Maria", via="portal")
    decision = request.decisions.get()
    assert decision.by == deputy and decision.on_behalf_of == manager


def test_outside_the_dates_the_delegate_may_not(ticket, employee, manager, deputy, make_chain):
    delegation.set_out_of_office(by=manager, delegate=deputy, starts_on=date(2026, 12, 7), ends_on=date(2026, 12, 11))
    with at(date(2026, 12, 14)):
        approval = services.start_approval(ticket, make_chain({"kind": "manager"}), by=employee)
        assert list(queries.waiting_for(deputy)) == []
        with pytest.raises(NotPermitted):
            services.decide(pending_requests(approval)[0], by=deputy, decision="approve", via="portal")


def test_delegation_follows_a_chain_of_people_away(tenant, manager, deputy):
    third = RequesterFactory()
    delegation.set_out_of_office(by=manager, delegate=deputy, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 31))
    delegation.set_out_of_office(by=deputy, delegate=third, starts_on=date(2026, 12, 5), ends_on=date(2026, 12, 6))
    with at(date(2026, 12, 5)):
        assert delegation.acting_for(manager.pk) == [deputy.pk, third.pk]
        assert delegation.recipient_for(manager.pk) == third.pk
        assert delegation.delegators_of(third.pk) == {manager.pk, deputy.pk}


def test_no_delegation_to_oneself_and_no_loop(tenant, manager, deputy):
    with pytest.raises(ValidationFailed) as refused:
        delegation.set_out_of_office(by=manager, delegate=manager, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 2))
    assert refused.value.fields == {"delegate": ["You cannot delegate to yourself."]}
    with pytest.raises(ValidationFailed) as refused:
        delegation.set_out_of_office(by=manager, delegate=deputy, starts_on=date(2026, 12, 3), ends_on=date(2026, 12, 2))
    assert refused.value.fields == {"ends_on": ["The last day cannot be before the first."]}
    delegation.set_out_of_office(by=manager, delegate=deputy, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 10))
    with pytest.raises(ValidationFailed) as refused:
        delegation.set_out_of_office(by=deputy, delegate=manager, starts_on=date(2026, 12, 8), ends_on=date(2026, 12, 20))
    assert refused.value.fields == {"delegate": ["Delegation would loop: Dora Deputy -> Maria Manager -> Dora Deputy."]}
    assert not OutOfOffice.objects.filter(user=deputy).exists()
    # Periods that do not overlap are no loop.
    delegation.set_out_of_office(by=deputy, delegate=manager, starts_on=date(2026, 12, 11), ends_on=date(2026, 12, 20))
