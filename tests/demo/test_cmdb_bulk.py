"""The bulk CMDB seeder: the promised shape and counts, loaded once, walkable end to end."""

from cmdb import impact
from cmdb.models import CI, Relationship
from demo import cmdb_bulk


def test_one_site_has_its_counts_cycles_and_a_path_from_the_core_to_the_business_services(tenant):
    report = cmdb_bulk.bulk_seed_cmdb(tenant, sites=1)
    again = cmdb_bulk.bulk_seed_cmdb(tenant, sites=1)

    per_site = (cmdb_bulk.CIS_PER_SITE, cmdb_bulk.RELATIONSHIPS_PER_SITE)
    assert (report.created, report.cis, report.relationships) == (True, 5000, 15000) == (True, *per_site)
    assert (again.created, again.cis, again.relationships) == (False, 5000, 15000)
    cores = CI.objects.filter(name__startswith="core-sw-s00-").order_by("name")
    assert Relationship.objects.filter(source__in=cores, target__in=cores, type__key="connects_to").count() == 2
    assert not CI.objects.filter(last_seen_at__isnull=True).exists()

    down = impact.downstream([cores[0].pk], depth=10)
    services = impact.impacted_services([cores[0].pk], depth=10)

    assert len(services) == 25 and max(r.depth for r in down) <= 10
    assert CI.objects.get(pk=services[0].path[-1]).ci_class.key == "business_service"
