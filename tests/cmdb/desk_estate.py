"""A small estate for the desk tests: a service on an app on a server behind a switch."""

from cmdb import services
from cmdb.models import CIClass, RelationshipType


def classes():
    return {c.key: c for c in CIClass.objects.all()}


def rel_types():
    return {t.key: t for t in RelationshipType.objects.all()}


def build(agent):
    c, t = classes(), rel_types()
    switch = services.create_ci(by=agent, name="core-sw-01", ci_class=c["network_device"], criticality=1)
    server = services.create_ci(by=agent, name="lnx-db-01", ci_class=c["linux_server"], fqdn="lnx-db-01.example.com",
                                serial_number="SN-1", ip_addresses=["10.0.0.5"],
                                attributes={"cpu_cores": 8, "distribution": "Debian", "manufacturer": "Dell"})
    database = services.create_ci(by=agent, name="shop-db", ci_class=c["database"], attributes={"engine": "PostgreSQL"})
    shop = services.create_ci(by=agent, name="Shop", ci_class=c["business_service"])
    services.add_relationship(by=agent, type=t["connects_to"], source=server, target=switch)
    services.add_relationship(by=agent, type=t["runs_on"], source=database, target=server)
    services.add_relationship(by=agent, type=t["depends_on"], source=shop, target=database)
    return {"switch": switch, "server": server, "database": database, "shop": shop}
