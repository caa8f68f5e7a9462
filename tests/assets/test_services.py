import pytest

from assets import services
from assets.models import Asset, AssetHistory
from core.exceptions import InvalidTransition, NotPermitted, StaleVersion, ValidationFailed

L = Asset.Lifecycle


@pytest.mark.django_db
def test_tags_are_generated_per_tenant_unless_given(tenant, agent, make_asset, in_other_tenant):
    first, second = make_asset(), make_asset(name="Dell XPS")
    assert (first.asset_tag, second.asset_tag) == ("AST-000001", "AST-000002")
    assert make_asset(asset_tag="LEGACY-7").asset_tag == "LEGACY-7"
    assert make_asset().asset_tag == "AST-000003"
    with pytest.raises(ValidationFailed) as caught:
        make_asset(asset_tag="LEGACY-7")
    assert "asset_tag" in caught.value.fields
    assert first.history.get().kind == "created"


@pytest.mark.django_db
def test_bad_input_is_refused_whole(tenant, agent, requester, make_asset):
    with pytest.raises(ValidationFailed) as caught:
        make_asset(name=" ", cost="-1", useful_life_months=0, purchase_date="2024-05-01", warranty_end="2024-04-01")
    assert set(caught.value.fields) == {"name", "cost", "useful_life_months", "warranty_end"}
    with pytest.raises(ValidationFailed) as caught:
        make_asset(cost="100", salvage_value="150")
    assert "salvage_value" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        make_asset(lifecycle=L.DEPLOYED)
    assert "assigned_to" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        make_asset(colour="red")
    assert "colour" in caught.value.fields
    with pytest.raises(NotPermitted):
        services.create_asset(by=requester, name="x")
    make_asset(serial_number="SN1")
    with pytest.raises(ValidationFailed) as caught:
        make_asset(serial_number="SN1")
    assert "serial_number" in caught.value.fields
    assert Asset.objects.count() == 1


@pytest.mark.django_db
def test_update_records_changes_and_refuses_a_stale_version(tenant, agent, make_asset):
    asset = make_asset(cost="1000.00")
    asset, changes = services.update_asset(asset, by=agent, version=1, location="Berlin HQ", cost="900")
    assert asset.version == 2
    assert {c["field"]: (c["old"], c["new"]) for c in changes} == {"location": ("", "Berlin HQ"),
                                                                    "cost": ("1000.00", "900")}
    assert services.update_asset(asset, by=agent, location="Berlin HQ")[1] == []
    with pytest.raises(StaleVersion):
        services.update_asset(asset, by=agent, version=1, location="Paris")
    with pytest.raises(ValidationFailed):
        services.update_asset(asset, by=agent, lifecycle=L.DEPLOYED)  # only by transition
    assert list(asset.history.values_list("kind", flat=True)) == ["created", "updated"]
    assert Asset.objects.get(pk=asset.pk).location == "Berlin HQ"


@pytest.mark.django_db
def test_lifecycle_follows_the_rules(tenant, agent, requester, make_asset):
    asset = make_asset()
    with pytest.raises(InvalidTransition) as caught:
        services.transition(asset, "deploy", by=agent)
    assert "ordered" in caught.value.message and "receive into stock" in caught.value.message
    services.transition(asset, "receive", by=agent)
    with pytest.raises(ValidationFailed) as caught:  # deploying needs someone or somewhere
        services.transition(asset, "deploy", by=agent)
    assert "assigned_to" in caught.value.fields
    assert Asset.objects.get(pk=asset.pk).lifecycle == L.IN_STOCK
    asset = services.transition(asset, "deploy", by=agent, assigned_to=requester)
    assert (asset.lifecycle, asset.assigned_to) == (L.DEPLOYED, requester)
    with pytest.raises(ValidationFailed):  # a deployed asset without a location cannot lose its user
        services.unassign(asset, by=agent)
    services.transition(asset, "send_to_repair", by=agent)
    asset = services.transition(asset, "deploy", by=agent)  # back from repair, same user
    asset = services.transition(asset, "retire", by=agent, note="Screen broken")
    entry = asset.history.filter(kind="lifecycle").last()
    assert entry.data["kept"] == {"assigned_to": str(requester), "location": ""} and entry.data["note"] == "Screen broken"
    assert asset.assigned_to == requester  # retiring clears nothing
    with pytest.raises(ValidationFailed):
        services.assign(asset, by=agent, user=agent)
    asset = services.transition(asset, "dispose", by=agent)
    for action in ("receive", "deploy", "retire", "return_to_stock"):
        with pytest.raises(InvalidTransition) as caught:
            services.transition(asset, action, by=agent)
        assert "final" in caught.value.message
    with pytest.raises(ValidationFailed):
        services.transition(asset, "teleport", by=agent)
    assert [e.data["to"] for e in AssetHistory.objects.filter(asset=asset, kind="lifecycle")] == [
        L.IN_STOCK, L.DEPLOYED, L.IN_REPAIR, L.DEPLOYED, L.RETIRED, L.DISPOSED]


@pytest.mark.django_db
def test_return_to_stock_clears_the_user_and_records_it(tenant, agent, requester, make_asset):
    asset = make_asset(lifecycle=L.IN_STOCK)
    asset = services.transition(asset, "deploy", by=agent, assigned_to=requester.pk, location="Desk 4")
    asset = services.transition(asset, "return_to_stock", by=agent, location="Store room")
    assert (asset.assigned_to, asset.location) == (None, "Store room")
    changes = asset.history.last().data["changes"]
    assert {c["field"]: c["new"] for c in changes} == {"assigned_to": None, "location": "Store room"}
    with pytest.raises(ValidationFailed):  # assigning is for deploy
        services.transition(asset, "retire", by=agent, assigned_to=requester)
