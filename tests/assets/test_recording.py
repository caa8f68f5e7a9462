"""Bulk upserts of installations and patch states: each bad row refused with its reasons, the rest applied."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from assets import recording
from assets.models import Asset, Installation, Patch, PatchState, SoftwareProduct
from cmdb import services as cmdb
from cmdb.models import CIClass
from core.exceptions import NotPermitted, ValidationFailed
from tests.factories import RequesterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def devices(tenant, agent):
    ci = cmdb.create_ci(by=agent, name="lnx-db-01", ci_class=CIClass.objects.get(key="linux_server"))
    return {"tagged": Asset.objects.create(asset_tag="LT-0001", name="Laptop", serial_number="SN-1", lifecycle="deployed"),
            "server": Asset.objects.create(asset_tag="SRV-1", name="DB server", lifecycle="deployed", ci=ci),
            "gone": Asset.objects.create(asset_tag="OLD-1", name="Old", lifecycle="disposed")}


def test_installations_upsert_by_tag_serial_and_ci_name_with_per_row_errors(devices, agent):
    user = RequesterFactory(email="ann@alpha.test")
    rows = [
        {"vendor": "Adobe", "product": "Acrobat Pro", "asset": "LT-0001", "user": "ANN@alpha.test", "version": "24"},
        {"vendor": "Oracle", "product": "Database EE", "asset": "lnx-db-01", "cores": "16"},
        {"vendor": "Adobe", "product": "Acrobat Pro", "asset": "nowhere"},
        {"vendor": "", "product": "X", "asset": "SN-1", "cores": "many", "user": "who@x.test", "colour": "red"},
        {"vendor": "Adobe", "product": "Acrobat Pro", "asset": "OLD-1"},
        "not a row",
    ]
    report = recording.upsert_installations(rows, by=agent, source="sccm")
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    errors = {r.row: r.errors for r in report.rejections}
    assert set(errors) == {3, 4, 5, 6}
    assert "No asset" in errors[3]["asset"][0]
    assert set(errors[4]) == {"vendor", "cores", "user", "colour"}
    assert "disposed" in errors[5]["asset"][0] and errors[6] == {"row": ["Must be an object of fields."]}
    laptop = Installation.objects.get(asset=devices["tagged"])
    assert (laptop.user, laptop.version, laptop.source) == (user, "24", "sccm")
    assert Installation.objects.get(asset=devices["server"]).cores == 16
    assert SoftwareProduct.objects.count() == 2  # nothing of the rejected rows was written
    # Re-running is idempotent; a changed version is an update; the product name matches whatever its case.
    again = recording.upsert_installations([rows[0], {**rows[1], "cores": 32, "product": "DATABASE ee"}], by=agent)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 1, 1, 0)
    assert SoftwareProduct.objects.count() == 2 and Installation.objects.get(asset=devices["server"]).cores == 32


def test_ambiguous_ci_name_and_limits(devices, agent):
    with pytest.raises(ValidationFailed):
        recording.upsert_installations([], by=agent)
    with pytest.raises(ValidationFailed):
        recording.upsert_installations([{}] * (recording.MAX_ROWS + 1), by=agent)
    with pytest.raises(NotPermitted):
        recording.upsert_installations([{"vendor": "a", "product": "b", "asset": "SRV-1"}], by=RequesterFactory())
    # A tag beats a CI name: the asset tagged "lnx-db-01" wins over the server whose CI has that name.
    Asset.objects.create(asset_tag="lnx-db-01", name="Confusing", lifecycle="deployed")
    report = recording.upsert_installations([{"vendor": "a", "product": "b", "asset": "lnx-db-01"}], by=agent)
    assert report.created == 1 and Installation.objects.get().asset.name == "Confusing"


def test_patch_states_validate_each_row_and_add_patches(devices, agent):
    today = timezone.localdate()
    Patch.objects.create(patch_id="KB1", product="Windows", severity="critical", released_on=date(2026, 1, 10))
    rows = [
        {"patch_id": "KB1", "asset": "LT-0001", "state": "installed", "installed_on": "2026-01-12"},
        {"patch_id": "CVE-9", "asset": "SRV-1", "state": "missing", "product": "openssl", "severity": "Critical",
         "released_on": "2026-02-01"},
        {"patch_id": "CVE-10", "asset": "SRV-1", "state": "missing"},  # unknown patch, not described
        {"patch_id": "KB1", "asset": "SRV-1", "state": "missing", "installed_on": "2026-01-12"},
        {"patch_id": "KB2", "asset": "SRV-1", "state": "installed", "product": "x", "severity": "urgent",
         "released_on": (today + timedelta(days=3)).isoformat()},
        {"patch_id": "KB1", "asset": "ghost", "state": "gone"},
        {"patch_id": "KB1", "asset": "SN-1", "state": "installed", "installed_on": "2026-01-01"},
        {"patch_id": "KB1", "asset": "SRV-1", "state": "installed", "installed_on": (today + timedelta(days=1)).isoformat()},
        {"patch_id": "KB1", "asset": "SRV-1", "state": "installed", "installed_on": "31/01/2026"},
    ]
    report = recording.upsert_patch_states(rows, by=agent, source="wsus")
    assert (report.created, report.rejected) == (2, 7)
    errors = {r.row: r.errors for r in report.rejections}
    assert set(errors[3]) == {"product", "severity"}
    assert errors[4] == {"installed_on": ["A missing patch has no installed date."]}
    assert set(errors[5]) == {"severity", "released_on"} and "urgent" in errors[5]["severity"][0]
    assert set(errors[6]) == {"asset", "state"}
    assert "Before the patch was released (2026-01-10)" in errors[7]["installed_on"][0]
    assert errors[8] == {"installed_on": ["Cannot be in the future."]}
    assert errors[9] == {"installed_on": ["Not a date: use YYYY-MM-DD."]}
    assert Patch.objects.get(patch_id="CVE-9").severity == "critical"
    assert not Patch.objects.filter(patch_id__in=["CVE-10", "KB2"]).exists()
    assert PatchState.objects.count() == 2
    # Installed later: the same row key updates the state.
    report = recording.upsert_patch_states([{"patch_id": "cve-9", "asset": "SRV-1", "state": "installed",
                                             "installed_on": "2026-02-02"}], by=agent)
    assert report.updated == 1
    state = PatchState.objects.get(patch__patch_id="CVE-9")
    assert (state.state, state.installed_on) == ("installed", date(2026, 2, 2))


def test_a_batch_costs_a_few_queries_per_row(devices, agent, django_assert_max_num_queries):
    for n in range(20):
        Asset.objects.create(asset_tag=f"PC-{n}", name=f"PC {n}", lifecycle="deployed")
    rows = [{"vendor": "Mozilla", "product": "Firefox", "asset": f"PC-{n}", "version": "1"} for n in range(20)]
    recording.upsert_installations(rows, by=agent)
    # Each row: its savepoint, its one write, its release; the lookups are made once for the batch.
    with django_assert_max_num_queries(8 + 3 * 20):
        report = recording.upsert_installations([{**row, "version": "2"} for row in rows], by=agent)
    assert report.updated == 20
    states = [{"patch_id": "KB9", "product": "Windows", "severity": "low", "asset": f"PC-{n}", "state": "missing"}
              for n in range(20)]
    recording.upsert_patch_states(states, by=agent)
    with django_assert_max_num_queries(8 + 3 * 20):
        report = recording.upsert_patch_states([{**row, "state": "installed"} for row in states], by=agent)
    assert report.updated == 20 and PatchState.objects.filter(state="installed").count() == 20
