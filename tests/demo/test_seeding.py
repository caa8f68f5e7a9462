"""The bulk seeder: realistic, consistent incidents whose numbers keep working for live creates."""

import pytest
from django.db import connection
from django.db.models import Count

from accounts.models import User
from demo.seeding import bulk_seed_incidents
from incidents.models import Incident
from incidents.workflow import OPEN
from tests.factories import make_incident
from tickets import markdown
from tickets.models import DEFAULT_PRIORITY_MATRIX, PriorityMatrixEntry, TimelineEntry

N = 500


def _index_and_fk_definitions():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename IN "
                       "('incidents_incident', 'tickets_timelineentry') ORDER BY indexname", [connection.schema_name])
        # A rebuilt partial index's predicate deparses with extra casts; compare it up to its WHERE.
        indexes = [(definition.split(" WHERE ")[0], " WHERE " in definition) for (definition,) in cursor.fetchall()]
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid IN "
                       "('incidents_incident'::regclass, 'tickets_timelineentry'::regclass) ORDER BY conname")
        return indexes, cursor.fetchall()


def test_seeds_n_incidents_with_unique_numbers(tenant):
    report = bulk_seed_incidents(tenant, N)

    assert report.inserted == N
    assert Incident.objects.count() == N
    numbers = list(Incident.objects.values_list("number", flat=True))
    assert len(set(numbers)) == N
    assert all(number.startswith("INC") and len(number) == 10 for number in numbers)
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.CREATED).count() == N


def test_create_incident_after_seeding_gets_a_fresh_number(tenant, agent):
    bulk_seed_incidents(tenant, N)
    seeded = set(Incident.objects.values_list("number", flat=True))
    highest = max(seeded)

    created = make_incident(by=agent)

    assert created.number not in seeded
    assert created.number > highest
    assert Incident.objects.filter(number=created.number).count() == 1


def test_seeded_incidents_are_internally_consistent(tenant):
    bulk_seed_incidents(tenant, N)
    matrix = dict(DEFAULT_PRIORITY_MATRIX)
    matrix.update({(e.impact, e.urgency): e.priority for e in PriorityMatrixEntry.objects.all()})
    states = dict(Incident.objects.values_list("state").annotate(n=Count("id")))

    assert set(states) >= {"new", "in_progress", "closed"}
    assert sum(states.get(state, 0) for state in OPEN) < N * 0.15
    for incident in Incident.objects.select_related("assignee", "assignment_group", "requester"):
        assert incident.version == 1
        assert incident.priority == matrix[(incident.impact, incident.urgency)]
        assert incident.description_html == markdown.render(incident.description)
        assert incident.requester.role == User.Role.REQUESTER
        assert incident.assignment_group is not None
        if incident.state == "new":
            assert incident.assignee_id is None
        else:
            assert incident.assignee.is_agent
            assert incident.assignment_group.members.filter(pk=incident.assignee_id).exists()
        if incident.state in OPEN:
            assert incident.resolved_at is None and incident.closed_at is None
        if incident.state == "on_hold":
            assert incident.hold_reason
        if incident.state in {"resolved", "closed"}:
            assert incident.resolution_code
            assert incident.opened_at <= incident.first_response_at <= incident.resolved_at
        if incident.state == "closed":
            assert incident.resolved_at <= incident.closed_at
        if incident.state == "resolved":
            assert incident.closed_at is None


def test_reseeding_tops_up_to_n_and_never_beyond(tenant, agent):
    make_incident(by=agent)

    first = bulk_seed_incidents(tenant, N)
    again = bulk_seed_incidents(tenant, N)
    more = bulk_seed_incidents(tenant, N + 100)

    assert (first.existing, first.inserted) == (1, N - 1)
    assert (again.existing, again.inserted) == (N, 0)
    assert (more.existing, more.inserted) == (N, 100)
    assert Incident.objects.count() == N + 100
    assert Incident.objects.values("number").distinct().count() == N + 100


def test_rebuilding_indexes_restores_every_index_and_foreign_key(tenant):
    before = _index_and_fk_definitions()

    report = bulk_seed_incidents(tenant, N, rebuild_indexes=True)

    assert report.inserted == N
    assert "rebuild indexes and foreign keys" in report.seconds
    assert _index_and_fk_definitions() == before


def test_seeding_one_tenant_leaves_the_other_empty(tenant, in_other_tenant):
    bulk_seed_incidents(tenant, N)

    with in_other_tenant():
        assert Incident.objects.count() == 0
        assert not User.objects.filter(email__startswith="bench.").exists()


@pytest.mark.parametrize("n", [0, -5])
def test_nothing_to_seed_writes_nothing(tenant, n):
    report = bulk_seed_incidents(tenant, n)

    assert report.inserted == 0
    assert not Incident.objects.exists()
    assert not User.objects.filter(email__startswith="bench.").exists()
