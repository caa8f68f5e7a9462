"""The demo estate: built through the services, coherent enough that a core switch outage reaches both services."""

from datetime import timedelta

from django.utils import timezone

from cmdb import impact
from cmdb.models import CI, Relationship
from demo import cmdb as cmdb_demo
from tests.factories import GroupFactory, RequesterFactory

SERVICES = {"Online Sales", "Payroll"}


def test_demo_estate_is_built_once_and_core_switch_outage_reaches_both_services(tenant, agent):
    groups = {name: GroupFactory(name=name) for name in ("Service Desk", "Network Operations", "Business Applications")}
    people = [agent, RequesterFactory(), RequesterFactory()]

    assert cmdb_demo.populate(by=agent, slug=tenant.slug, groups=groups, people=people)
    assert not cmdb_demo.populate(by=agent, slug=tenant.slug, groups=groups, people=people)

    cis = {ci.name: ci for ci in CI.objects.select_related("ci_class", "owner_user")}
    assert len(cis) == len(cmdb_demo.ESTATE) + len(people)
    assert Relationship.objects.count() == len(cmdb_demo.RELATIONSHIPS)
    assert [cis[f"LT-000{n}"].owner_user for n in (1, 2, 3)] == people
    assert cis["lnx-db-01"].fqdn == f"lnx-db-01.{tenant.slug}.example"
    assert cis["shop-db"].attributes["engine"] == "PostgreSQL"
    assert cis["core-sw-01"].support_group == groups["Network Operations"]
    stale = CI.objects.filter(status=CI.Status.LIVE, criticality=CI.Criticality.CRITICAL,
                              last_seen_at__lt=timezone.now() - timedelta(days=30))
    assert [ci.name for ci in stale] == ["win-pay-01"]
    assert cis["win-pay-01"].sightings.get().source == "demo-discovery"

    reached = {r.ci_id: r for r in impact.downstream([cis["core-sw-01"].pk])}
    names = {ci.pk: name for name, ci in cis.items()}
    assert SERVICES <= {names[pk] for pk in reached}
    assert [names[pk] for pk in reached[cis["Payroll"].pk].path] == [
        "core-sw-01", "dist-sw-01", "win-pay-01", "PayrollPro", "Payroll Portal", "Payroll"]
    assert reached[cis["fw-01"].pk].depth == 1
    assert {names[r.ci_id] for r in impact.upstream([cis["Online Sales"].pk])} >= {"lnx-db-01", "core-sw-01"}
