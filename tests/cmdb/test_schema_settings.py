"""/desk/settings/cmdb/: tenant admins shape classes, attributes and relationship types; the rules hold."""

import pytest

from cmdb import services, services_schema
from cmdb.models import CI, AttributeDefinition, CIClass, RelationshipType
from tests.factories import AdminFactory, AgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(tenant):
    return AdminFactory()


def attr(ci_class, **extra):
    return {"name": "rack", "label": "Rack", "type": "string", "order": "0", **extra}


def test_agents_get_403_and_admins_the_tree(tenant, agent, admin, make_client):
    assert make_client(tenant, agent).get("/desk/settings/cmdb/").status_code == 403
    assert make_client(tenant, agent).post("/desk/settings/cmdb/classes/new/", {"name": "X"}).status_code == 403
    page = make_client(tenant, admin).get("/desk/settings/cmdb/").content.decode()
    assert '<a href="/desk/settings/cmdb/" aria-current="page">CMDB classes</a>' in page
    linux = page.index(">Linux Server</a>")
    assert page.index(">Hardware</a>") < page.index(">Server</a>") < linux
    assert 'class="cmdb-tree-depth-2"><span aria-hidden="true" class="subtle">└ </span><a href="/desk/settings/cmdb/classes/' in page


def test_an_admin_adds_a_subclass_with_attributes_and_deletes_it(tenant, admin, make_client):
    client = make_client(tenant, admin)
    server = CIClass.objects.get(key="server")
    response = client.post("/desk/settings/cmdb/classes/new/", {"name": "AIX Server", "parent": server.pk,
                                                                 "description": "IBM"})
    assert response.status_code == 302
    aix = CIClass.objects.get(name="AIX Server")
    assert aix.parent == server and aix.key == "aix_server" and not aix.is_builtin
    assert client.post(f"/desk/settings/cmdb/classes/{aix.pk}/attributes/new/", attr(aix, type="choice",
                                                                                    choices="p7\np8\n")).status_code == 302
    definition = AttributeDefinition.objects.get(ci_class=aix, name="rack")
    assert definition.choices == ["p7", "p8"]
    page = client.get(f"/desk/settings/cmdb/classes/{aix.pk}/").content.decode()
    assert "cpu_cores" in page and "rack" in page  # inherited and own
    assert client.post(f"/desk/settings/cmdb/classes/{aix.pk}/", {"name": "AIX host", "description": ""}).status_code == 302
    assert CIClass.objects.get(pk=aix.pk).name == "AIX host"
    assert client.post(f"/desk/settings/cmdb/classes/{aix.pk}/delete/").status_code == 302
    assert not CIClass.objects.filter(pk=aix.pk).exists()


def test_what_cannot_be_deleted(tenant, agent, admin, make_client):
    client = make_client(tenant, admin)
    hardware = CIClass.objects.get(key="hardware")
    response = client.post(f"/desk/settings/cmdb/classes/{hardware.pk}/delete/")
    assert response.status_code == 400 and "Built-in classes cannot be deleted" in response.content.decode()
    custom = services_schema.create_class(by=admin, name="Appliance", parent=hardware)
    child = services_schema.create_class(by=admin, name="Tape library", parent=custom)
    page = client.post(f"/desk/settings/cmdb/classes/{custom.pk}/delete/").content.decode()
    assert "It has subclasses" in page
    services.create_ci(by=agent, name="tape-01", ci_class=child)
    page = client.post(f"/desk/settings/cmdb/classes/{child.pk}/delete/").content.decode()
    assert "1 CI belongs to this class." in page
    assert CIClass.objects.filter(pk__in=[custom.pk, child.pk]).count() == 2
    kind = services_schema.save_relationship_type(by=admin, name="Archives to", reverse_name="Archive of",
                                                  impact="none", target_classes=[custom])
    assert "Relationship types limit their ends to this class: Archives to." in services_schema.deletion_blockers(custom)
    assert list(kind.target_classes.all()) == [custom]
    # A built-in attribute stays; a custom one goes, and leaves the CIs that held it.
    model = AttributeDefinition.objects.get(ci_class=hardware, name="model")
    client.post(f"/desk/settings/cmdb/attributes/{model.pk}/delete/")
    assert AttributeDefinition.objects.filter(pk=model.pk).exists()
    assert "Built-in attributes cannot be deleted" in client.get(f"/desk/settings/cmdb/classes/{hardware.pk}/").content.decode()
    rack = services_schema.add_attribute(by=admin, ci_class=custom, name="rack", label="Rack", type="string")
    tape = CI.objects.get(name="tape-01")
    services.update_ci(tape, by=agent, attributes={"rack": "R7"}, merge_attributes=True)
    assert client.post(f"/desk/settings/cmdb/attributes/{rack.pk}/delete/").status_code == 302
    tape.refresh_from_db()
    assert tape.attributes == {} and tape.history.filter(source="schema").exists()


def test_attribute_rules_are_shown_at_their_inputs(tenant, agent, admin, make_client):
    client = make_client(tenant, admin)
    server = CIClass.objects.get(key="server")
    linux = CIClass.objects.get(key="linux_server")
    hardware = CIClass.objects.get(key="hardware")

    def add(ci_class, **extra):
        response = client.post(f"/desk/settings/cmdb/classes/{ci_class.pk}/attributes/new/", attr(ci_class, **extra))
        assert response.status_code == 400
        return response.content.decode()

    # A name an ancestor or a descendant already carries.
    assert "is already an attribute of Hardware" in add(linux, name="manufacturer")
    assert "is already an attribute of Linux Server" in add(hardware, name="kernel")
    assert "Use lower-case letters" in add(server, name="Rack Position")
    assert "A choice attribute needs at least one choice." in add(server, type="choice")
    services.create_ci(by=agent, name="web-01", ci_class=linux, attributes={"cpu_cores": 4})
    assert "add it as optional" in add(server, required="on")
    assert not AttributeDefinition.objects.filter(name="rack").exists()
    # Changes existing values would not fit.
    assert client.post(f"/desk/settings/cmdb/classes/{server.pk}/attributes/new/",
                       attr(server, type="choice", choices="A\nB")).status_code == 302
    rack = AttributeDefinition.objects.get(name="rack")
    web = CI.objects.get(name="web-01")
    services.update_ci(web, by=agent, attributes={"rack": "B"}, merge_attributes=True)
    page = client.post(f"/desk/settings/cmdb/attributes/{rack.pk}/", attr(server, type="choice", choices="A")).content.decode()
    assert "1 CI(s) use a choice you removed (B)." in page
    page = client.post(f"/desk/settings/cmdb/attributes/{rack.pk}/", attr(server, type="integer")).content.decode()
    assert "its type cannot change" in page
    cores = AttributeDefinition.objects.get(ci_class=server, name="cpu_cores")
    services.create_ci(by=agent, name="web-02", ci_class=linux)
    page = client.post(f"/desk/settings/cmdb/attributes/{cores.pk}/", {"label": "Cores", "required": "on",
                                                                       "order": "0"}).content.decode()
    assert "1 CI(s) have no value" in page
    rack.refresh_from_db()
    assert rack.choices == ["A", "B"] and rack.type == "choice"
    # A built-in keeps its type whatever is posted; its label may change.
    assert client.post(f"/desk/settings/cmdb/attributes/{cores.pk}/", {"label": "Cores", "type": "string",
                                                                       "order": "0"}).status_code == 302
    cores.refresh_from_db()
    assert cores.label == "Cores" and cores.type == "integer"


def test_relationship_types(tenant, admin, make_client):
    client = make_client(tenant, admin)
    assert "Runs on / Hosts" in client.get("/desk/settings/cmdb/relationship-types/").content.decode()
    database = CIClass.objects.get(key="database")
    response = client.post("/desk/settings/cmdb/relationship-types/new/", {
        "name": "Replicates to", "reverse_name": "Replica of", "impact": "none", "source_classes": [database.pk],
        "target_classes": [database.pk]})
    assert response.status_code == 302
    replicates = RelationshipType.objects.get(name="Replicates to")
    assert replicates.key == "replicates_to" and list(replicates.target_classes.all()) == [database]
    page = client.post("/desk/settings/cmdb/relationship-types/new/", {
        "name": "depends ON", "reverse_name": "needed by", "impact": "to_source"}).content.decode()
    assert "“depends ON” is already used." in page
    page = client.post("/desk/settings/cmdb/relationship-types/new/", {
        "name": "Feeds", "reverse_name": "", "impact": "sideways"}).content.decode()
    assert "Select a valid choice. sideways" in page and "This field is required." in page
    assert not RelationshipType.objects.filter(name__in=["depends ON", "Feeds"]).exists()
    runs_on = RelationshipType.objects.get(key="runs_on")
    assert client.post(f"/desk/settings/cmdb/relationship-types/{runs_on.pk}/", {
        "name": "Runs on", "reverse_name": "Is host of", "impact": "to_source"}).status_code == 302
    runs_on.refresh_from_db()
    assert runs_on.reverse_name == "Is host of" and runs_on.key == "runs_on" and not runs_on.source_classes.exists()


def test_another_tenant_cannot_see_or_change_these(tenant, admin, make_client, other_tenant, in_other_tenant):
    custom = services_schema.create_class(by=admin, name="Appliance", parent=None)
    rack = services_schema.add_attribute(by=admin, ci_class=custom, name="rack", label="Rack", type="string")
    kind = services_schema.save_relationship_type(by=admin, name="Backs up", reverse_name="Backed up by", impact="none")
    with in_other_tenant():
        client = make_client(other_tenant, AdminFactory())
        assert client.get(f"/desk/settings/cmdb/classes/{custom.pk}/").status_code == 404
        assert client.post(f"/desk/settings/cmdb/classes/{custom.pk}/delete/").status_code == 404
        assert client.post(f"/desk/settings/cmdb/attributes/{rack.pk}/delete/").status_code == 404
        assert client.post(f"/desk/settings/cmdb/relationship-types/{kind.pk}/", {
            "name": "Mine", "reverse_name": "Yours", "impact": "none"}).status_code == 404
        assert "Appliance" not in client.get("/desk/settings/cmdb/").content.decode()
    assert CIClass.objects.filter(pk=custom.pk).exists() and AttributeDefinition.objects.filter(pk=rack.pk).exists()
    assert RelationshipType.objects.get(pk=kind.pk).name == "Backs up"


def test_the_services_refuse_agents(tenant, agent):
    from core.exceptions import NotPermitted

    with pytest.raises(NotPermitted):
        services_schema.create_class(by=agent, name="X", parent=None)
    with pytest.raises(NotPermitted):
        services_schema.save_relationship_type(by=AgentFactory(), name="X", reverse_name="Y", impact="none")
    assert not CIClass.objects.filter(name="X").exists()
