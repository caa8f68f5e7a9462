"""The demo's problem: three linked VPN incidents and a published known error that new VPN incidents show."""

from demo import problems as problems_demo
from problems import links
from problems.models import Problem
from tests.factories import AdminFactory, make_incident
from tickets.models import Category


def test_demo_problem_has_three_linked_incidents_and_a_published_known_error(tenant, agent, requester, group):
    vpn = Category.objects.get(name="VPN")
    make_incident(by=requester, title="Cannot connect to VPN from home", category=vpn, assignment_group=group)
    problems_demo.populate(admin=AdminFactory(), agent=agent, requester=requester, group=group, category=vpn)
    problem = Problem.objects.get()
    assert problem.state == "fix_in_progress" and problem.is_known_error and problem.root_cause
    linked = links.linked(problem)
    assert len(linked) == 3 and {item.other.state for item in linked} <= {"new", "in_progress", "on_hold"}
