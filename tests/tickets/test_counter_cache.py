"""The queue's counters come from the shared cache until a ticket of the type changes (tickets.counter_cache)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from incidents import services
from incidents.ticket_type import INCIDENT_TYPE
from problems.ticket_type import PROBLEM_TYPE
from tests.factories import AgentFactory, make_incident, make_problem
from tickets.models import Priority
from tickets.queries import open_counters
from tickets.write_guard import direct_writes


def _counted(ticket_type, user):
    with CaptureQueriesContext(connection) as queries:
        values = {row["counter"].key: row["value"] for row in open_counters(ticket_type, user)}
    return values, len([q for q in queries.captured_queries if not q["sql"].startswith("SET")])


def test_counters_are_counted_once_until_a_ticket_of_the_type_changes(tenant, agent, requester,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # committed writes: their changes are announced
        make_incident(by=requester, requester=requester)
        incident = make_incident(by=requester, requester=requester)
    first, queries = _counted(INCIDENT_TYPE, agent)
    assert queries == 1 and first["open"] == 2 and first["mine"] == 0
    assert _counted(INCIDENT_TYPE, agent) == (first, 0)
    with django_capture_on_commit_callbacks(execute=True):
        services.update_incident(incident, by=agent, changes={"assignee": agent})
    after, queries = _counted(INCIDENT_TYPE, agent)
    assert queries == 1 and after["mine"] == 1 and after["unassigned"] == first["unassigned"] - 1
    # Another type's write leaves incidents' counters alone.
    with django_capture_on_commit_callbacks(execute=True):
        make_problem(by=agent)
    assert _counted(INCIDENT_TYPE, agent) == (after, 0)
    assert _counted(PROBLEM_TYPE, agent)[1] == 1


def test_each_agent_has_their_own_assigned_to_me(tenant, agent, requester, django_capture_on_commit_callbacks):
    other = AgentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(by=requester, requester=requester, assignee=agent)
    mine, _ = _counted(INCIDENT_TYPE, agent)
    theirs, queries = _counted(INCIDENT_TYPE, other)
    assert (mine["mine"], theirs["mine"], queries) == (1, 0, 1)


def test_the_writing_transaction_counts_its_own_uncommitted_change(tenant, agent, requester,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(by=requester, requester=requester)
    assert _counted(INCIDENT_TYPE, agent)[0]["open"] == 1  # now cached
    with django_capture_on_commit_callbacks(execute=False):  # not committed yet
        make_incident(by=requester, requester=requester, impact=1, urgency=1)
        values, queries = _counted(INCIDENT_TYPE, agent)
    assert queries == 1 and values["open"] == 2 and values["critical"] == 1


def test_a_direct_write_is_announced_too(tenant, agent, requester, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(by=requester, requester=requester)
    assert _counted(INCIDENT_TYPE, agent)[0]["critical"] == 0
    with django_capture_on_commit_callbacks(execute=True), direct_writes("test set-up: a P1 imported"):
        type(incident).objects.filter(pk=incident.pk).update(priority=Priority.CRITICAL)
    values, queries = _counted(INCIDENT_TYPE, agent)
    assert queries == 1 and values["critical"] == 1


def test_one_tenants_counters_are_never_served_to_another(tenant, other_tenant, agent, requester,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            make_incident(by=requester, requester=requester, assignee=agent)
    alpha, _ = _counted(INCIDENT_TYPE, agent)
    assert alpha["open"] == 3 and _counted(INCIDENT_TYPE, agent)[1] == 0
    with schema_context(other_tenant.schema_name):
        # The same user id in beta's schema is another person; beta's counters are counted in beta.
        beta, queries = _counted(INCIDENT_TYPE, agent)
        assert queries == 1 and beta["open"] == 0 and beta["mine"] == 0


def test_with_redis_down_the_counters_are_counted_from_the_database(tenant, agent, requester, settings,
                                                                    django_capture_on_commit_callbacks):
    from core import shared_cache

    with django_capture_on_commit_callbacks(execute=True):
        make_incident(by=requester, requester=requester)
    settings.CACHES = {**settings.CACHES, "shared": {**settings.CACHES["shared"], "LOCATION": "redis://127.0.0.1:1/0"}}
    try:
        for _ in range(2):
            values, queries = _counted(INCIDENT_TYPE, agent)
            assert queries == 1 and values["open"] == 1
        with django_capture_on_commit_callbacks(execute=True):  # a write while Redis is down is not an error
            make_incident(by=requester, requester=requester)
        assert _counted(INCIDENT_TYPE, agent) == ({**values, "open": 2, "unassigned": values["unassigned"] + 1}, 1)
    finally:
        shared_cache.reset()
