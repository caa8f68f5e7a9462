"""Patch compliance per asset, overall, per business service through a CMDB chain, and the business
services that run on servers missing a critical patch."""

from datetime import date
from decimal import Decimal

import pytest

from assets import patching
from assets.models import Asset, Patch, PatchState
from cmdb import services as cmdb
from cmdb.models import CIClass, RelationshipType

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(tenant, agent):
    """Online Sales -> Shop (app) -> lnx-db-01 (critical, misses two critical patches) and lnx-web-01 (patched);
    HR -> HR app -> win-01 (misses an important one); a laptop misses a critical patch but is no server."""
    cls = {k: CIClass.objects.get(key=k) for k in ("linux_server", "windows_server", "application",
                                                      "business_service", "end_user_device")}
    rel = {k: RelationshipType.objects.get(key=k) for k in ("runs_on", "depends_on")}
    ci = {}
    for name, kind, criticality in (("Online Sales", "business_service", 1), ("HR", "business_service", 3),
                                    ("Shop", "application", 2), ("HR app", "application", 3),
                                    ("lnx-db-01", "linux_server", 1), ("lnx-web-01", "linux_server", 2),
                                    ("win-01", "windows_server", 3), ("LT-1", "end_user_device", 4)):
        ci[name] = cmdb.create_ci(by=agent, name=name, ci_class=cls[kind], criticality=criticality)
    for source, kind, target in (("Online Sales", "depends_on", "Shop"), ("HR", "depends_on", "HR app"),
                                 ("Shop", "runs_on", "lnx-db-01"), ("Shop", "runs_on", "lnx-web-01"),
                                 ("HR app", "runs_on", "win-01")):
        cmdb.add_relationship(by=agent, type=rel[kind], source=ci[source], target=ci[target])
    assets = {name: Asset.objects.create(asset_tag=f"A-{name}", name=name, lifecycle="deployed", ci=ci[name])
              for name in ("lnx-db-01", "lnx-web-01", "win-01", "LT-1")}
    patches = {}
    for patch_id, severity in (("CVE-1", "critical"), ("CVE-2", "critical"), ("KB-3", "important"), ("KB-4", "low")):
        patches[patch_id] = Patch.objects.create(patch_id=patch_id, product="OS", severity=severity,
                                                 released_on=date(2026, 1, 1))
    states = [("lnx-db-01", "CVE-1", "missing"), ("lnx-db-01", "CVE-2", "missing"), ("lnx-db-01", "KB-4", "installed"),
              ("lnx-web-01", "CVE-1", "installed"), ("lnx-web-01", "CVE-2", "installed"),
              ("win-01", "KB-3", "missing"), ("win-01", "CVE-1", "installed"), ("win-01", "KB-4", "missing"),
              ("LT-1", "CVE-1", "missing")]
    for name, patch_id, state in states:
        PatchState.objects.create(asset=assets[name], patch=patches[patch_id], state=state,
                                  installed_on=date(2026, 2, 1) if state == "installed" else None)
    return {"ci": ci, "assets": assets, "patches": patches}


def test_per_asset_and_overall(estate, django_assert_num_queries):
    with django_assert_num_queries(2):
        rows = patching.per_asset()
    assert [r.asset.name for r in rows] == ["lnx-db-01", "LT-1", "win-01", "lnx-web-01"]  # worst first
    db = rows[0].counts
    assert (db.total, db.installed, db.missing, db.missing_critical, db.missing_important) == (3, 1, 2, 2, 0)
    assert db.percent_installed == Decimal("33.3") and not db.compliant
    assert rows[-1].counts.percent_installed == Decimal("100.0") and rows[-1].counts.compliant
    # A retired asset runs nothing: it leaves every figure.
    Asset.objects.filter(pk=estate["assets"]["LT-1"].pk).update(lifecycle="retired")
    with django_assert_num_queries(2):
        total = patching.overall()
    assert (total.counts.total, total.counts.installed, total.counts.missing_critical) == (8, 4, 2)
    assert (total.assets, total.compliant_assets, total.percent_compliant_assets) == (3, 1, Decimal("33.3"))
    assert total.counts.percent_installed == Decimal("50.0")


def test_per_business_service_through_the_cmdb(estate):
    sales = patching.for_service(estate["ci"]["Online Sales"])
    assert [r.asset.name for r in sales.assets] == ["lnx-db-01", "lnx-web-01"]
    assert (sales.counts.total, sales.counts.installed, sales.counts.missing_critical) == (5, 3, 2)
    assert [r.asset.name for r in sales.unpatched_critical] == ["lnx-db-01"]
    services = {s.service.name: s for s in patching.per_service()}
    assert set(services) == {"Online Sales", "HR"}
    assert services["Online Sales"].counts == sales.counts
    hr = services["HR"].counts
    assert (hr.total, hr.missing_important, hr.missing_critical, hr.percent_installed) == (3, 1, 0, Decimal("33.3"))


def test_services_on_unpatched_critical_servers(estate, agent, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        at_risk = patching.services_on_unpatched_critical_servers()
    # Online Sales is behind lnx-db-01; HR's server misses no critical patch; the laptop is no server.
    assert [(r.service.name, r.server.ci.name) for r in at_risk] == [("Online Sales", "lnx-db-01")]
    risk = at_risk[0]
    assert [p.patch_id for p in risk.server.missing_critical] == ["CVE-1", "CVE-2"]
    assert risk.server.rated_critical and [c.name for c in risk.path] == ["lnx-db-01", "Shop", "Online Sales"]
    assert risk.via == ("runs_on", "depends_on")
    # The query count stays fixed as unpatched servers and services grow.
    more = cmdb.create_ci(by=agent, name="Web shop", ci_class=CIClass.objects.get(key="business_service"))
    cmdb.add_relationship(by=agent, type=RelationshipType.objects.get(key="depends_on"), source=more,
                          target=estate["ci"]["Shop"])
    PatchState.objects.filter(patch__patch_id="KB-3").update(patch=estate["patches"]["CVE-2"])
    with django_assert_max_num_queries(7):
        at_risk = patching.services_on_unpatched_critical_servers()
    assert [(r.service.name, r.server.ci.name, r.server.rated_critical) for r in at_risk] == [
        ("Online Sales", "lnx-db-01", True), ("Web shop", "lnx-db-01", True), ("HR", "win-01", False)]
    # A second unpatched server behind Online Sales: the walk names the nearest; with the services' upstream
    # (as the desk page has it) every one is listed.
    PatchState.objects.filter(asset=estate["assets"]["lnx-web-01"], patch__patch_id="CVE-1").update(state="missing",
                                                                                                 installed_on=None)
    sales = next(r for r in patching.services_on_unpatched_critical_servers() if r.service.name == "Online Sales")
    assert [s.ci.name for s in sales.servers] == ["lnx-db-01"]
    full = patching.services_on_unpatched_critical_servers(behind=patching.per_service())
    sales = next(r for r in full if r.service.name == "Online Sales")
    assert [s.ci.name for s in sales.servers] == ["lnx-db-01", "lnx-web-01"]
    assert [p.patch_id for p in sales.servers[1].missing_critical] == ["CVE-1"]
    # Installed at last: nothing at risk.
    PatchState.objects.filter(state="missing").update(state="installed")
    assert patching.services_on_unpatched_critical_servers() == []


def test_missing_assets_and_patch_counts(estate):
    cve = estate["patches"]["CVE-1"]
    assert [a.name for a in patching.missing_assets(cve)] == ["LT-1", "lnx-db-01"]
    counts = {p.patch_id: (p.installed_count, p.missing_count) for p in patching.patches_with_counts()}
    assert counts["CVE-1"] == (2, 2) and counts["KB-3"] == (0, 1)
