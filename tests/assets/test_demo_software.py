"""The demo's software data: Acrobat over-licensed, Microsoft 365 under, Online Sales behind an unpatched server;
idempotent, and quiet when the estate is missing."""

import pytest

from assets import licensing, patching
from assets.models import Asset, Installation, PatchState
from cmdb import services as cmdb
from cmdb.models import CIClass, RelationshipType
from demo.software import seed_software
from tests.factories import AdminFactory, RequesterFactory

pytestmark = pytest.mark.django_db


def test_seed_software_is_coherent_and_idempotent(tenant):
    admin = AdminFactory()
    classes = {k: CIClass.objects.get(key=k) for k in ("business_service", "database", "linux_server", "end_user_device")}
    sales = cmdb.create_ci(by=admin, name="Online Sales", ci_class=classes["business_service"])
    shop_db = cmdb.create_ci(by=admin, name="shop-db", ci_class=classes["database"])
    server = cmdb.create_ci(by=admin, name="lnx-db-01", ci_class=classes["linux_server"], criticality=1)
    cmdb.add_relationship(by=admin, type=RelationshipType.objects.get(key="depends_on"), source=sales, target=shop_db)
    cmdb.add_relationship(by=admin, type=RelationshipType.objects.get(key="runs_on"), source=shop_db, target=server)
    Asset.objects.create(asset_tag="SRV-DB-01", name="lnx-db-01", lifecycle="deployed", ci=server)
    for n in range(3):  # three laptops of the estate; the rest are added
        laptop = cmdb.create_ci(by=admin, name=f"LT-{n:03}", ci_class=classes["end_user_device"])
        Asset.objects.create(asset_tag=f"HW-{n}", name=f"Laptop {n}", lifecycle="deployed", ci=laptop,
                             assigned_to=RequesterFactory())
    seed_software(tenant, admin=admin)
    counts = (Installation.objects.count(), PatchState.objects.count(), Asset.objects.count())
    seed_software(tenant, admin=admin)
    assert (Installation.objects.count(), PatchState.objects.count(), Asset.objects.count()) == counts
    results = {r.product.name: r for r in licensing.compliance()}
    acrobat, office = results["Acrobat Pro"].lines[0], results["Microsoft 365 E3"].lines[0]
    assert (acrobat.entitled, acrobat.consumed, acrobat.status) == (25, 9, licensing.OVER)
    assert (office.entitled, office.consumed, office.status) == (10, 14, licensing.UNDER)
    at_risk = patching.services_on_unpatched_critical_servers()
    assert [(r.service.name, r.server.ci.name, len(r.server.missing_critical)) for r in at_risk] == [
        ("Online Sales", "lnx-db-01", 2)]


def test_seed_software_skips_what_is_missing(tenant):
    seed_software(tenant, admin=AdminFactory())
    assert not PatchState.objects.filter(state="missing").exists()
    assert Asset.objects.filter(asset_tag__startswith="DEMO-LT-").count() == 14
