"""A small estate for CMDB tests: a server under a business service, through every layer.

lnx-db-01 (Linux server) ← shop-db runs on it ← ShopFront depends on shop-db ← Web Shop (application
service) depends on ShopFront ← Online Sales (business service) depends on Web Shop. A failure of
lnx-db-01 therefore takes down Online Sales, four hops away.
"""

from cmdb import services
from cmdb.models import CIClass, RelationshipType

CHAIN = ("lnx-db-01", "shop-db", "ShopFront", "Web Shop", "Online Sales")
CLASSES = ("linux_server", "database", "application", "application_service", "business_service")
LINKS = ("runs_on", "depends_on", "depends_on", "depends_on")


def shop_chain(*, by, prefix: str = "") -> dict:
    """The five CIs by name (``prefix`` makes the names unique when one test needs two chains)."""
    cis = {}
    for name, key in zip(CHAIN, CLASSES):
        cis[name] = services.create_ci(by=by, name=prefix + name, ci_class=CIClass.objects.get(key=key))
    for (lower, upper), key in zip(zip(CHAIN, CHAIN[1:]), LINKS):
        services.add_relationship(by=by, type=RelationshipType.objects.get(key=key), source=cis[upper],
                                  target=cis[lower])
    return cis
