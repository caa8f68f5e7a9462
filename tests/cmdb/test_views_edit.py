"""Creating and editing CIs, and adding and removing relationships, from the desk: every refusal at its input."""

import re

import pytest

from cmdb.models import CI, CIHistory, Relationship
from tests.cmdb import desk_estate
from tests.factories import RequesterFactory

pytestmark = pytest.mark.django_db


def form(ci_class, **extra):
    return {"name": "web-01", "ci_class": ci_class.pk, "status": "live", "environment": "production",
            "criticality": "3", **extra}


def error_at(page: str, field_id: str) -> str:
    """The error text shown under the input with this id."""
    match = re.search(rf'id="{re.escape(field_id)}_error" role="alert">([^<]+)<', page)
    return match.group(1) if match else ""


def test_an_agent_creates_a_ci_with_typed_attributes(tenant, agent, make_client):
    c = desk_estate.classes()
    client = make_client(tenant, agent)
    page = client.get(f"/desk/cmdb/new/?ci_class={c['linux_server'].pk}").content.decode()
    # The inputs come from the class and its ancestors.
    for name in ("manufacturer", "cpu_cores", "distribution"):
        assert f'name="attributes.{name}"' in page
    response = client.post("/desk/cmdb/new/", form(
        c["linux_server"], **{"attributes.cpu_cores": "8", "attributes.memory_gb": "15.5", "fqdn": "Web-01.Example.com",
                              "ip_addresses": "10.0.0.1, 10.0.0.2\n2001:db8::1", "mac_addresses": "AA-BB-CC-DD-EE-FF"}))
    assert response.status_code == 302
    ci = CI.objects.get(name="web-01")
    assert response["Location"] == f"/desk/cmdb/{ci.pk}/"
    assert ci.attributes == {"cpu_cores": 8, "memory_gb": "15.5"} and ci.fqdn == "web-01.example.com"
    assert ci.ip_addresses == ["10.0.0.1", "10.0.0.2", "2001:db8::1"] and ci.mac_addresses == ["aa:bb:cc:dd:ee:ff"]
    assert ci.history.get().source == "desk"


def test_bad_input_is_shown_at_its_input_and_nothing_is_saved(tenant, agent, make_client):
    c = desk_estate.classes()
    desk_estate.build(agent)
    client = make_client(tenant, agent)
    response = client.post("/desk/cmdb/new/", form(c["linux_server"], **{
        "attributes.cpu_cores": "eight", "attributes.memory_gb": "lots"}))
    page = response.content.decode()
    assert response.status_code == 400
    assert error_at(page, "id_attributes.cpu_cores") == "Enter a whole number."
    assert error_at(page, "id_attributes.memory_gb") == "Enter a number."
    page = client.post("/desk/cmdb/new/", form(c["network_device"], **{"attributes.device_role": "router"})).content.decode()
    assert error_at(page, "id_attributes.device_role") == "Select a valid choice. router is not one of the available choices."
    page = client.post("/desk/cmdb/new/", form(c["linux_server"], ip_addresses="10.0.0.1, 300.1.1.1")).content.decode()
    assert error_at(page, "id_ip_addresses") == "Not an IP address: 300.1.1.1."
    page = client.post("/desk/cmdb/new/", form(c["linux_server"], mac_addresses="zz:zz")).content.decode()
    assert "is not a MAC address." in error_at(page, "id_mac_addresses")
    page = client.post("/desk/cmdb/new/", form(c["linux_server"], fqdn="LNX-DB-01.example.com")).content.decode()
    assert "already belongs to another CI" in error_at(page, "id_fqdn")
    page = client.post("/desk/cmdb/new/", form(c["linux_server"], name=" ")).content.decode()
    assert error_at(page, "id_name")
    assert not CI.objects.filter(name="web-01").exists()


def test_a_required_attribute_and_a_reference_are_checked_by_the_service(tenant, agent, make_client):
    from cmdb import services_schema
    from tests.factories import AdminFactory

    c = desk_estate.classes()
    admin = AdminFactory()
    custom = services_schema.create_class(by=admin, name="Appliance", parent=c["hardware"])
    services_schema.add_attribute(by=admin, ci_class=custom, name="rack", label="Rack", type="string", required=True)
    services_schema.add_attribute(by=admin, ci_class=custom, name="backup_of", label="Backup of", type="reference",
                                  reference_class=c["database"])
    estate = desk_estate.build(agent)
    client = make_client(tenant, agent)
    page = client.post("/desk/cmdb/new/", form(custom, **{"attributes.backup_of": "lnx-db-01"})).content.decode()
    assert error_at(page, "id_attributes.rack") == "This attribute is required."
    assert "No CI &#x27;lnx-db-01&#x27; of Database" in error_at(page, "id_attributes.backup_of")
    response = client.post("/desk/cmdb/new/", form(custom, **{"attributes.rack": "R1", "attributes.backup_of": "shop-db"}))
    assert response.status_code == 302
    assert CI.objects.get(name="web-01").attributes == {"rack": "R1", "backup_of": estate["database"].pk}
    # The CI page links the referenced CI.
    page = client.get(response["Location"]).content.decode()
    assert f'<a href="/desk/cmdb/{estate["database"].pk}/">shop-db</a>' in page


def test_changing_the_class_swaps_the_attribute_inputs(tenant, agent, make_client):
    c = desk_estate.classes()
    fragment = make_client(tenant, agent).get("/desk/cmdb/attribute-fields/", {
        "ci_class": c["database"].pk, "attributes.engine": "MySQL", "attributes.cpu_cores": "4"},
        HTTP_HX_REQUEST="true").content.decode()
    assert 'name="attributes.engine"' in fragment and 'value="MySQL" selected' in fragment
    assert "cpu_cores" not in fragment


def test_editing_keeps_history_and_refuses_a_stale_version(tenant, agent, make_client):
    estate = desk_estate.build(agent)
    server = estate["server"]
    client = make_client(tenant, agent)
    page = client.get(f"/desk/cmdb/{server.pk}/edit/").content.decode()
    assert 'value="Debian"' in page and "10.0.0.5" in page
    data = form(desk_estate.classes()["linux_server"], name="lnx-db-01", version=server.version, fqdn=server.fqdn,
                serial_number="SN-1", ip_addresses="10.0.0.5", **{"attributes.cpu_cores": "16",
                                                                   "attributes.distribution": "Debian",
                                                                   "attributes.manufacturer": "Dell"})
    assert client.post(f"/desk/cmdb/{server.pk}/edit/", data).status_code == 302
    entry = CIHistory.objects.filter(ci=server, kind="updated").get()
    assert entry.data["changes"] == [{"field": "attributes.cpu_cores", "label": "cpu_cores", "old": 8, "new": 16}]
    response = client.post(f"/desk/cmdb/{server.pk}/edit/", {**data, "attributes.cpu_cores": "32"})
    assert response.status_code == 400 and "Someone changed this CI meanwhile" in response.content.decode()
    assert CI.objects.get(pk=server.pk).attributes["cpu_cores"] == 16


def test_requesters_cannot_create(tenant, make_client):
    c = desk_estate.classes()
    client = make_client(tenant, RequesterFactory())
    assert client.get("/desk/cmdb/new/").status_code == 403
    assert client.post("/desk/cmdb/new/", form(c["linux_server"])).status_code == 403
    assert not CI.objects.exists()


def relate(client, ci, type_, other, direction="outgoing"):
    return client.post(f"/desk/cmdb/{ci.pk}/relationships/", {"type": type_.pk, "direction": direction, "other": other})


def test_adding_and_removing_relationships(tenant, agent, make_client):
    estate = desk_estate.build(agent)
    t = desk_estate.rel_types()
    client = make_client(tenant, agent)
    # The lookup offers matches; the chosen suggestion names the CI by id.
    options = client.get("/desk/cmdb/lookup/?q=shop").content.decode()
    assert f'value="shop-db (Database #{estate["database"].pk})"' in options and "Business Service #" in options
    app = CI.objects.create(name="crm", ci_class=desk_estate.classes()["application"])
    response = relate(client, app, t["runs_on"], f"lnx-db-01 (Linux Server #{estate['server'].pk})")
    assert response.status_code == 302 and response["Location"].endswith("#relationships")
    relationship = Relationship.objects.get(source=app, type=t["runs_on"])
    assert relationship.target == estate["server"]
    # Incoming: the other CI is the source.
    assert relate(client, app, t["depends_on"], "Shop", direction="incoming").status_code == 302
    assert Relationship.objects.filter(source=estate["shop"], target=app).exists()
    assert client.post(f"/desk/cmdb/{app.pk}/relationships/{relationship.pk}/remove/").status_code == 302
    assert not Relationship.objects.filter(pk=relationship.pk).exists()
    assert CIHistory.objects.filter(ci=estate["server"], kind="relationship_removed").exists()
    # A relationship of another CI cannot be removed through this one.
    other = Relationship.objects.get(source=estate["database"])
    assert client.post(f"/desk/cmdb/{app.pk}/relationships/{other.pk}/remove/").status_code == 404


def test_relationship_refusals_are_shown_in_the_form(tenant, agent, make_client):
    estate = desk_estate.build(agent)
    t = desk_estate.rel_types()
    client = make_client(tenant, agent)
    server, database, shop = estate["server"], estate["database"], estate["shop"]
    before = Relationship.objects.count()

    def refusal(response, field):
        assert response.status_code == 400
        return error_at(response.content.decode(), f"id_{field}")

    # Classes the type does not join: a server cannot host a business service ("runs on" targets hosts only).
    assert refusal(relate(client, database, t["runs_on"], str(shop.pk)), "other") == \
        "A Business Service cannot be the target of “Runs on”."
    # This CI's own end is refused at the relationship type.
    assert refusal(relate(client, shop, t["runs_on"], str(server.pk)), "type") == \
        "A Business Service cannot be the source of “Runs on”."
    assert refusal(relate(client, server, t["depends_on"], str(server.pk)), "other") == "Choose another CI than the source."
    assert "leads back to" in refusal(relate(client, database, t["depends_on"], "Shop"), "other")
    assert refusal(relate(client, shop, t["depends_on"], str(database.pk)), "other") == \
        "These CIs are related this way already."
    assert "No single CI matches" in refusal(relate(client, shop, t["depends_on"], "nothing-like-it"), "other")
    assert Relationship.objects.count() == before
