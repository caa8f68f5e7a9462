import pytest

from assets import ci_sync, services
from assets.models import Asset
from cmdb import services as cmdb_services
from cmdb.models import CI, CIClass
from core.exceptions import ValidationFailed

L = Asset.Lifecycle


@pytest.fixture
def linked(tenant, agent, make_asset):
    asset = make_asset(serial_number="PF-1", manufacturer="Lenovo", model="T14", lifecycle=L.IN_STOCK)
    return ci_sync.create_ci_for(asset, by=agent)


@pytest.mark.django_db
def test_creating_the_ci_from_the_asset_copies_the_shared_fields(linked, agent):
    ci = linked.ci
    assert (ci.ci_class.key, ci.name, ci.serial_number, ci.status) == ("end_user_device", "ThinkPad T14", "PF-1",
                                                                       CI.Status.PLANNED)
    assert ci.attributes == {"manufacturer": "Lenovo", "model": "T14"}
    assert linked.history.last().kind == "ci_linked"
    with pytest.raises(ValidationFailed):
        ci_sync.create_ci_for(linked, by=agent)


@pytest.mark.django_db
def test_asset_writes_reach_the_ci_once_and_do_not_echo(linked, agent, requester):
    asset = services.transition(linked, "deploy", by=agent, assigned_to=requester)
    asset, _ = services.update_asset(asset, by=agent, name="Anna's laptop", location="Desk 4")
    ci = CI.objects.get(pk=asset.ci_id)
    assert (ci.name, ci.owner_user, ci.status) == ("Anna's laptop", requester, CI.Status.LIVE)
    assert [h.source for h in ci.history.filter(kind="updated")] == ["assets", "assets"]
    assert list(asset.history.values_list("kind", flat=True)) == ["created", "ci_linked", "lifecycle", "updated"]
    services.update_asset(asset, by=agent, location="Desk 5")  # not a shared field: the CI is not written
    assert ci.history.filter(kind="updated").count() == 2


@pytest.mark.django_db
def test_ci_changes_reach_the_asset_without_looping_back(linked, agent, requester):
    ci, _ = cmdb_services.update_ci(linked.ci, by=agent, source="import", name="LT-0042", owner_user=requester)
    asset = Asset.objects.get(pk=linked.pk)
    assert (asset.name, asset.assigned_to) == ("LT-0042", requester)
    assert asset.history.last().source == "cmdb (import)"
    assert ci.history.filter(kind="updated").count() == 1  # the asset's write did not come back
    ci, _ = cmdb_services.update_ci(ci, by=agent, status=CI.Status.LIVE)
    assert Asset.objects.get(pk=asset.pk).lifecycle == L.DEPLOYED  # live deploys an asset in stock
    cmdb_services.update_ci(ci, by=agent, status=CI.Status.MAINTENANCE)
    assert Asset.objects.get(pk=asset.pk).lifecycle == L.IN_REPAIR
    cmdb_services.update_ci(ci, by=agent, status=CI.Status.RETIRED)
    asset = Asset.objects.get(pk=asset.pk)
    assert (asset.lifecycle, asset.assigned_to) == (L.RETIRED, requester)
    assert CI.objects.get(pk=ci.pk).version == ci.version + 2  # each step once, no echo


@pytest.mark.django_db
def test_the_assets_lifecycle_wins_a_ci_status_it_cannot_reach_is_refused(tenant, agent, make_asset):
    ordered = ci_sync.create_ci_for(make_asset(), by=agent)
    with pytest.raises(ValidationFailed) as caught:
        cmdb_services.update_ci(ordered.ci, by=agent, status=CI.Status.LIVE, name="renamed")
    assert ordered.asset_tag in caught.value.message and "status" in caught.value.fields
    assert (CI.objects.get(pk=ordered.ci_id).status, CI.objects.get(pk=ordered.ci_id).name) == (
        CI.Status.PLANNED, "ThinkPad T14")
    in_stock = services.transition(ordered, "receive", by=agent)
    with pytest.raises(ValidationFailed) as caught:  # deploying needs an owner or a location
        cmdb_services.update_ci(in_stock.ci, by=agent, status=CI.Status.LIVE)
    assert Asset.objects.get(pk=in_stock.pk).lifecycle == L.IN_STOCK


@pytest.mark.django_db
def test_a_refused_ci_write_leaves_the_asset_unchanged(linked, agent):
    cmdb_services.create_ci(by=agent, name="other", ci_class=CIClass.objects.get(key="server"), serial_number="TAKEN")
    with pytest.raises(ValidationFailed) as caught:
        services.update_asset(linked, by=agent, serial_number="TAKEN", location="Lab")
    assert "serial_number" in caught.value.fields
    asset = Asset.objects.get(pk=linked.pk)
    assert (asset.serial_number, asset.location, asset.version) == ("PF-1", "", linked.version)
    assert asset.history.filter(kind="updated").count() == 0


@pytest.mark.django_db
def test_linking_an_existing_ci(tenant, agent, requester, make_asset):
    server_class = CIClass.objects.get(key="linux_server")
    ci = cmdb_services.create_ci(by=agent, name="lnx-web-01", ci_class=server_class, serial_number="CZ1",
                                 owner_user=requester)
    asset = ci_sync.link_ci(make_asset(name="Web server 1", lifecycle=L.IN_STOCK), ci, by=agent)
    ci.refresh_from_db()
    # the asset wins on what it has; it takes the serial and owner it lacked
    assert (asset.serial_number, asset.assigned_to, ci.name, ci.status) == ("CZ1", requester, "Web server 1",
                                                                           CI.Status.PLANNED)
    with pytest.raises(ValidationFailed):
        ci_sync.link_ci(make_asset(name="another"), ci, by=agent)
    asset = ci_sync.unlink_ci(asset, by=agent)
    assert asset.ci is None and CI.objects.filter(pk=ci.pk).exists()
