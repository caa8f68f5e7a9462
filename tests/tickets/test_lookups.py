"""``state__in_constants``: the open states written into the SQL, so prepared plans can use partial indexes."""

import pytest

from incidents.models import Incident
from tests.factories import make_incident


def test_the_states_are_in_the_sql_text_not_parameters(tenant):
    open_states = sorted(Incident.workflow.open_states)
    sql, params = Incident.objects.filter(state__in_constants=open_states).query.sql_with_params()
    assert "IN ('in_progress', 'new', 'on_hold')" in sql  # the partial indexes' predicate, in its order
    assert not set(open_states) & set(params)


def test_it_selects_what_in_selects(tenant, agent, requester):
    from incidents import services

    new = make_incident(by=requester, requester=requester)
    worked = make_incident(by=requester, requester=requester)
    worked = services.transition_incident(worked, "start", by=agent)
    open_states = sorted(Incident.workflow.open_states)
    assert set(Incident.objects.filter(state__in_constants=open_states)) == set(Incident.objects.filter(state__in=open_states))
    assert set(Incident.objects.exclude(state__in_constants=["new"])) == set(Incident.objects.exclude(state="new"))
    assert list(Incident.objects.filter(state__in_constants=["new"])) == [new]
    assert list(Incident.objects.filter(state__in_constants=["in_progress"])) == [worked]
    assert list(Incident.objects.filter(state__in_constants=[])) == []


@pytest.mark.parametrize("value", ["new'); DROP TABLE incidents_incident; --", "New", "", "in progress", 3, None])
def test_anything_but_a_state_name_is_refused(tenant, value):
    with pytest.raises(ValueError):
        list(Incident.objects.filter(state__in_constants=["new", value]))
