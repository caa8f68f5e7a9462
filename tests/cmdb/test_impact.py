"""Impact analysis: which way each relationship type carries a failure, cycles, depth, services, query counts."""

import pytest

from cmdb import impact, services
from cmdb.models import CIClass, RelationshipType

pytestmark = pytest.mark.django_db


@pytest.fixture
def make(agent):
    def make(name, class_key="application", **fields):
        return services.create_ci(by=agent, name=name, ci_class=CIClass.objects.get(key=class_key), **fields)

    return make


@pytest.fixture
def relate(agent):
    def relate(source, type_key, target):
        services.add_relationship(by=agent, type=RelationshipType.objects.get(key=type_key), source=source, target=target)

    return relate


def _ids(reached):
    return [(r.ci_id, r.depth) for r in reached]


@pytest.mark.parametrize("setting, source_fails_target, target_fails_source", [
    ("to_source", False, True), ("to_target", True, False), ("both", True, True), ("none", False, False)])
def test_a_types_impact_setting_decides_which_end_a_failure_reaches(make, relate, setting, source_fails_target,
                                                                    target_fails_source):
    RelationshipType.objects.create(key="custom", name="Custom", reverse_name="Custom of", impact=setting)
    source, target = make("source"), make("target")
    relate(source, "custom", target)

    assert _ids(impact.downstream([source.pk])) == ([(target.pk, 1)] if source_fails_target else [])
    assert _ids(impact.downstream([target.pk])) == ([(source.pk, 1)] if target_fails_source else [])
    assert _ids(impact.upstream([target.pk])) == ([(source.pk, 1)] if source_fails_target else [])
    assert _ids(impact.upstream([source.pk])) == ([(target.pk, 1)] if target_fails_source else [])


def test_each_builtin_type_carries_a_failure_from_the_infrastructure_to_the_service(make, relate):
    switch = make("core-sw", "network_device")
    server = make("web01", "linux_server")
    cluster = make("web-cluster", "cluster")
    app = make("CRM", "application")
    service = make("Sales", "business_service")
    chassis = make("blade-chassis", "hardware")
    blade = make("blade07", "linux_server")
    relate(server, "connects_to", switch)  # the server needs the switch
    relate(server, "member_of", cluster)  # a member failing degrades the cluster
    relate(app, "runs_on", cluster)
    relate(service, "depends_on", app)
    relate(chassis, "contains", blade)  # the chassis failing takes its blade down

    down = impact.downstream([switch.pk])
    assert _ids(down) == [(server.pk, 1), (cluster.pk, 2), (app.pk, 3), (service.pk, 4)]
    assert down[-1].path == (switch.pk, server.pk, cluster.pk, app.pk, service.pk)
    assert down[-1].via == ("connects_to", "member_of", "runs_on", "depends_on")
    assert _ids(impact.downstream([chassis.pk])) == [(blade.pk, 1)]
    assert impact.downstream([blade.pk]) == [] and impact.downstream([service.pk]) == []

    up = impact.upstream([service.pk])
    assert _ids(up) == [(app.pk, 1), (cluster.pk, 2), (server.pk, 3), (switch.pk, 4)]
    assert up[-1].path == (service.pk, app.pk, cluster.pk, server.pk, switch.pk)
    assert up[-1].via == ("depends_on", "runs_on", "member_of", "connects_to")


def test_a_cycle_ends_and_each_ci_is_reached_once_by_its_shortest_path(make, relate):
    # A ring of switches (connects_to may loop) and a server linked to two of them.
    a, b, c, d = (make(f"sw-{n}", "network_device") for n in "abcd")
    server = make("db01", "linux_server")
    for source, target in ((a, b), (b, c), (c, d), (d, a)):
        relate(source, "connects_to", target)  # a failure of the target reaches the source
    relate(server, "connects_to", c)
    relate(server, "connects_to", a)

    down = impact.downstream([a.pk], depth=10)

    assert _ids(down) == [(d.pk, 1), (server.pk, 1), (c.pk, 2), (b.pk, 3)]
    assert {r.ci_id: r.path for r in down}[b.pk] == (a.pk, d.pk, c.pk, b.pk)
    assert {r.ci_id: r.path for r in down}[server.pk] == (a.pk, server.pk)  # not the longer way round the ring


def test_the_depth_limit_stops_the_walk(make, relate):
    chain = [make(f"app-{n}") for n in range(5)]
    for source, target in zip(chain[1:], chain):
        relate(source, "depends_on", target)

    assert _ids(impact.downstream([chain[0].pk], depth=2)) == [(chain[1].pk, 1), (chain[2].pk, 2)]
    assert _ids(impact.downstream([chain[0].pk], depth=0)) == [(chain[1].pk, 1)]  # at least one hop
    assert len(impact.downstream([chain[0].pk], depth=999)) == 4  # capped at MAX_DEPTH, not refused
    assert _ids(impact.upstream([chain[4].pk], depth=1)) == [(chain[3].pk, 1)]


def test_several_start_cis_give_each_reached_ci_its_nearest_start(make, relate):
    db_a, db_b = make("db-a", "database"), make("db-b", "database")
    app_a, shared, top = make("app-a"), make("shared"), make("top")
    relate(app_a, "depends_on", db_a)
    relate(shared, "depends_on", app_a)
    relate(shared, "depends_on", db_b)
    relate(top, "depends_on", shared)
    relate(db_b, "depends_on", db_a)  # one start reaches the other: starts are never listed as reached

    down = {r.ci_id: r for r in impact.downstream([db_a.pk, db_b.pk])}

    assert set(down) == {app_a.pk, shared.pk, top.pk}
    assert down[shared.pk].path == (db_b.pk, shared.pk) and down[top.pk].depth == 2
    assert impact.downstream([]) == []


def test_impacted_services_are_the_services_reached_and_the_start_cis_that_are_services(make, relate):
    CIClass.objects.create(key="customer_service", name="Customer service",
                                      parent=CIClass.objects.get(key="business_service"))
    server = make("web01", "linux_server")
    app = make("Shop", "application")
    sales = make("Sales", "business_service")
    portal = make("Customer portal", "customer_service")
    payroll = make("Payroll", "business_service")
    relate(app, "runs_on", server)
    relate(sales, "depends_on", app)
    relate(portal, "depends_on", app)

    found = impact.impacted_services([server.pk, payroll.pk])

    assert [(r.ci_id, r.depth) for r in found] == [(payroll.pk, 0), (sales.pk, 2), (portal.pk, 2)]
    assert found[0].path == (payroll.pk,) and found[0].via == ()
    assert found[1].path == (server.pk, app.pk, sales.pk) and found[1].via == ("runs_on", "depends_on")
    assert [r.ci_id for r in impact.impacted_services([server.pk], depth=1)] == []


def test_each_call_is_one_query_whatever_the_size_and_load_adds_one(make, relate, django_assert_num_queries):
    switch = make("core-sw", "network_device")
    servers = [make(f"srv-{n}", "linux_server") for n in range(6)]
    service = make("Sales", "business_service")
    for server in servers:
        relate(server, "connects_to", switch)
        relate(service, "depends_on", server)

    with django_assert_num_queries(1):
        down = impact.downstream([switch.pk])
    with django_assert_num_queries(1):
        impact.upstream([service.pk])
    with django_assert_num_queries(1):
        assert [r.ci_id for r in impact.impacted_services([switch.pk])] == [service.pk]
    with django_assert_num_queries(1):
        loaded = impact.load(down)
    assert [(r.ci_id, ci.name, ci.ci_class.key) for r, ci in loaded][-1] == (service.pk, "Sales", "business_service")
    with django_assert_num_queries(0):
        assert impact.downstream([]) == [] and impact.load([]) == []
