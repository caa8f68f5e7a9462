"""A ticket's own target (sla.targets): the duration is the ticket's, the rest is its policy's."""

import pytest

from incidents.services import update_incident
from sla import targets
from sla.models import Clock, Metric
from tests.factories import make_incident

R, FR = Metric.RESOLUTION, Metric.RESPONSE
HOUR = 3600


@pytest.fixture
def own_two_hours():
    targets.register("incidents.incident", lambda ticket, metric: 2 * HOUR if metric == R else None)
    yield
    targets.unregister("incidents.incident")


def clock_of(incident, metric=R) -> Clock:
    return Clock.objects.get(ticket_type="incidents.incident", ticket_id=incident.pk, metric=metric)


def test_a_ticket_with_a_target_of_its_own_keeps_it_on_the_policys_calendar(tenant, agent, office, make_policy,
                                                                            own_two_hours):
    make_policy(office, targets={(R, 5): 4 * HOUR, (FR, 5): HOUR})
    incident = make_incident(by=agent)
    resolution = clock_of(incident)
    assert resolution.target_seconds == 2 * HOUR and resolution.calendar == office
    assert clock_of(incident, FR).target_seconds == HOUR  # the policy's, where the ticket has none of its own


def test_its_own_target_survives_a_priority_the_policy_has_no_target_for(tenant, agent, office, make_policy,
                                                                        own_two_hours):
    make_policy(office, targets={(R, 5): 4 * HOUR})
    incident = make_incident(by=agent)
    update_incident(incident, by=agent, changes={"impact": 1, "urgency": 1})  # P1: the policy has no P1 target
    incident.refresh_from_db()
    assert incident.priority == 1
    resolution = clock_of(incident)
    assert resolution.state == Clock.State.RUNNING and resolution.target_seconds == 2 * HOUR


def test_without_one_the_policys_target_applies(tenant, agent, office, make_policy):
    make_policy(office, targets={(R, 5): 4 * HOUR})
    assert clock_of(make_incident(by=agent)).target_seconds == 4 * HOUR


def test_no_matching_policy_no_clock_even_with_a_target_of_its_own(tenant, agent, own_two_hours):
    incident = make_incident(by=agent)
    assert not Clock.objects.filter(ticket_id=incident.pk).exists()
