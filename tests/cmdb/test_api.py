"""/api/v1/cmdb/: classes with their schemas, relationship types, CIs, relationships, impact; refusals, counts, isolation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb import services
from cmdb.models import CI, AttributeDefinition, CIClass, CIHistory, Relationship, RelationshipType
from tests.api.helpers import api_client, back_to, error_of
from tests.cmdb.chain import shop_chain
from tests.factories import AdminFactory, GroupFactory, RequesterFactory

CIS = "/api/v1/cmdb/cis/"
RELATIONSHIPS = "/api/v1/cmdb/relationships/"


@pytest.fixture
def api(tenant, agent):
    return api_client(tenant, agent)


def klass(key):
    return CIClass.objects.get(key=key)


def rel_type(key):
    return RelationshipType.objects.get(key=key)


def queries_of(client, url, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured), response


# -- classes and relationship types ------------------------------------------------------------------

def test_classes_carry_their_whole_schema_naming_the_class_that_defines_each_attribute(tenant, api):
    body = api.get("/api/v1/cmdb/classes/").json()
    linux = next(c for c in body if c["key"] == "linux_server")
    assert linux["parent"] == "server" and linux["lineage"] == ["hardware", "server", "linux_server"]
    by_name = {a["name"]: a for a in linux["attributes"]}
    assert [a["name"] for a in linux["attributes"]][:2] == ["manufacturer", "model"]  # ancestors first
    assert by_name["manufacturer"] | {} == {**by_name["manufacturer"], "defined_by": "hardware", "inherited": True}
    assert by_name["cpu_cores"]["defined_by"] == "server" and by_name["cpu_cores"]["type"] == "integer"
    assert by_name["distribution"]["defined_by"] == "linux_server" and not by_name["distribution"]["inherited"]
    service = next(c for c in body if c["key"] == "business_service")
    assert service["is_business_service"] and not linux["is_business_service"]
    detail = api.get(f"/api/v1/cmdb/classes/{klass('linux_server').pk}/")
    assert detail.status_code == 200 and detail.json() == linux
    assert error_of(api.get("/api/v1/cmdb/classes/999999/"))["code"] == "not_found"
    assert api.get("/api/v1/cmdb/classes/abc/").status_code == 404


def test_classes_cost_the_same_queries_however_many_there_are(tenant, api):
    api.get("/api/v1/cmdb/classes/")  # warm: tenant and token caches
    before, _ = queries_of(api, "/api/v1/cmdb/classes/")
    for index in range(3):
        added = CIClass.objects.create(key=f"extra{index}", name=f"Extra {index}", parent=klass("linux_server"))
        AttributeDefinition.objects.create(ci_class=added, name=f"a{index}", label="A", type="string")
    after, response = queries_of(api, "/api/v1/cmdb/classes/")
    assert after == before <= 3  # SET search_path, the classes, every definition
    extra = next(c for c in response.json() if c["key"] == "extra2")
    assert [a["defined_by"] for a in extra["attributes"]][-1] == "extra2"


def test_relationship_types(tenant, api):
    body = api.get("/api/v1/cmdb/relationship-types/").json()
    runs_on = next(t for t in body if t["key"] == "runs_on")
    assert runs_on["reverse_name"] == "Hosts" and runs_on["impact"] == "to_source"
    assert "server" in runs_on["target_classes"] and "database" in runs_on["source_classes"]
    detail = api.get(f"/api/v1/cmdb/relationship-types/{rel_type('runs_on').pk}/")
    assert detail.json() == runs_on
    assert api.get("/api/v1/cmdb/relationship-types/999999/").status_code == 404


# -- CIs --------------------------------------------------------------------------------------------

def test_create_read_and_change_a_ci_with_its_history(tenant, api, agent):
    group = GroupFactory(name="Unix team")
    created = api.post(CIS, {"name": "web01", "ci_class": "linux_server", "fqdn": "WEB01.Example.com.",
                             "criticality": 1, "support_group": group.pk, "ip_addresses": ["10.0.0.5"],
                             "mac_addresses": ["AA-BB-CC-DD-EE-FF"],
                             "attributes": {"cpu_cores": 8, "memory_gb": 16.5, "distribution": "Debian"}})
    assert created.status_code == 201, created.content
    ci = created.json()
    assert created["ETag"] == '"1"' and created["Location"].endswith(f"{CIS}{ci['id']}/")
    assert ci["fqdn"] == "web01.example.com" and ci["mac_addresses"] == ["aa:bb:cc:dd:ee:ff"]
    assert ci["ci_class"] == {"id": klass("linux_server").pk, "key": "linux_server", "name": "Linux Server"}
    assert ci["attributes"] == {"cpu_cores": 8, "memory_gb": "16.5", "distribution": "Debian"}
    assert ci["support_group"] == {"id": group.pk, "name": "Unix team"} and ci["criticality_label"] == "1 - Critical"
    url = f"{CIS}{ci['id']}/"
    assert api.get(url).json() == ci
    assert api.get(url, HTTP_IF_NONE_MATCH='"1"').status_code == 304

    changed = api.patch(url, {"status": "maintenance", "attributes": {"cpu_cores": 16}}, HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == '"2"' and changed.json()["attributes"] == {"cpu_cores": 16}
    retired = api.patch(url, {"status": "retired"})
    assert retired.json()["status"] == "retired" and CI.objects.filter(pk=ci["id"]).exists()  # retired, not deleted
    history = api.get(f"{url}history/").json()["results"]
    assert [h["kind"] for h in history] == ["created", "updated", "updated"]
    assert history[0]["source"] == "api" and history[0]["author"]["id"] == agent.pk
    fields = {c["field"] for c in history[1]["data"]["changes"]}
    assert {"status", "attributes.cpu_cores", "attributes.distribution"} <= fields


def test_a_stale_version_is_412_and_changes_nothing(tenant, api, agent):
    ci = services.create_ci(by=agent, name="web01", ci_class=klass("linux_server"))
    services.update_ci(ci, by=agent, description="moved racks")
    response = api.patch(f"{CIS}{ci.pk}/", {"name": "renamed"}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 412 and error_of(response)["code"] == "stale_version"
    malformed = api.patch(f"{CIS}{ci.pk}/", {"name": "renamed"}, HTTP_IF_MATCH="yesterday")
    assert malformed.status_code == 412
    ci.refresh_from_db()
    assert ci.name == "web01" and ci.version == 2 and ci.history.count() == 2


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "ci_class": "linux_server", "attributes": {"cpu_cores": "many"}}, "attributes.cpu_cores"),
    ({"name": "x", "ci_class": "linux_server", "attributes": {"colour": "red"}}, "attributes.colour"),
    ({"name": "x", "ci_class": "database", "attributes": {"engine": "Excel"}}, "attributes.engine"),
    ({"name": "x", "ci_class": "spaceship"}, "ci_class"),
    ({"name": "x"}, "ci_class"),
    ({"ci_class": "linux_server"}, "name"),
    ({"name": " ", "ci_class": "linux_server"}, "name"),
    ({"name": "x", "ci_class": "linux_server", "ip_addresses": ["10.0.0.300"]}, "ip_addresses.0"),
    ({"name": "x", "ci_class": "linux_server", "mac_addresses": ["zz"]}, "mac_addresses"),
    ({"name": "x", "ci_class": "linux_server", "criticality": "1"}, "criticality"),
    ({"name": "x", "ci_class": "linux_server", "status": "broken"}, "status"),
    ({"name": "x", "ci_class": "linux_server", "fqdn": "taken.example.com"}, "fqdn"),
    ({"name": "x", "ci_class": "linux_server", "version": 3}, "version"),
])
def test_bad_ci_input_is_400_with_the_field_and_writes_nothing(tenant, api, agent, body, field):
    services.create_ci(by=agent, name="taken", ci_class=klass("linux_server"), fqdn="taken.example.com")
    before = (CI.objects.count(), CIHistory.objects.count())
    response = api.post(CIS, body)
    assert response.status_code == 400, response.content
    assert field in error_of(response)["fields"], response.json()
    assert (CI.objects.count(), CIHistory.objects.count()) == before


def test_bad_patch_writes_nothing(tenant, api, agent):
    ci = services.create_ci(by=agent, name="db01", ci_class=klass("database"), attributes={"engine": "MySQL"})
    response = api.patch(f"{CIS}{ci.pk}/", {"status": "live", "attributes": {"engine": "Excel"}})
    assert response.status_code == 400 and "attributes.engine" in error_of(response)["fields"]
    # A class change re-checks the attributes against the new class.
    moved = api.patch(f"{CIS}{ci.pk}/", {"ci_class": "linux_server"})
    assert moved.status_code == 400 and "attributes.engine" in error_of(moved)["fields"]
    assert api.patch(f"{CIS}{ci.pk}/", {"id": 5}).status_code == 400
    ci.refresh_from_db()
    assert ci.version == 1 and ci.ci_class.key == "database" and ci.history.count() == 1


def test_ci_filters(tenant, api, agent):
    unix, windows = GroupFactory(name="Unix"), GroupFactory(name="Windows")
    web = services.create_ci(by=agent, name="web01", ci_class=klass("linux_server"), support_group=unix,
                             fqdn="web01.example.com", serial_number="SN-1", ip_addresses=["10.0.0.5"],
                             criticality=CI.Criticality.CRITICAL, description="Front web tier")
    win = services.create_ci(by=agent, name="ad01", ci_class=klass("windows_server"), support_group=windows,
                             environment=CI.Environment.TEST, cloud_id="i-123")
    app = services.create_ci(by=agent, name="CRM", ci_class=klass("application"), status=CI.Status.PLANNED)

    def names(**params):
        response = api.get(CIS, params)
        assert response.status_code == 200, response.content
        return {row["name"] for row in response.json()["results"]}

    assert names(ci_class="server") == {"web01", "ad01"}  # descendants of server
    assert names(ci_class="linux_server") == {"web01"}
    assert names(status="planned") == {"CRM"}
    assert names(status=["planned", "live"]) == {"CRM", "web01", "ad01"}
    assert names(environment="test") == {"ad01"}
    assert names(criticality=1) == {"web01"}
    assert names(support_group=windows.pk) == {"ad01"}
    assert names(q="web tier") == {"web01"}
    assert names(serial_number="SN-1") == {"web01"} and names(serial_number="SN") == set()
    assert names(fqdn="WEB01.example.com") == {"web01"}
    assert names(cloud_id="i-123") == {"ad01"}
    assert names(ip="10.0.0.5") == {"web01"} and names(ip="10.0.0.6") == set()
    assert {web.pk, win.pk, app.pk} <= {row["id"] for row in api.get(CIS).json()["results"]}
    for params, field in (({"ci_class": "spaceship"}, "ci_class"), ({"ip": "not-an-ip"}, "ip"),
                          ({"status": "broken"}, "status"), ({"support_group": "x"}, "support_group"),
                          ({"page_size": 0}, "page_size")):
        response = api.get(CIS, params)
        assert response.status_code == 400 and field in error_of(response)["fields"], (params, response.content)


def test_the_ci_list_costs_the_same_for_one_row_or_many(tenant, api, agent):
    group = GroupFactory()
    services.create_ci(by=agent, name="one", ci_class=klass("linux_server"), support_group=group, owner_user=agent)
    api.get(CIS)
    one, _ = queries_of(api, CIS, ci_class="server")
    for index in range(6):
        services.create_ci(by=agent, name=f"many{index}", ci_class=klass("windows_server"), owner_group=group,
                           support_group=group, owner_user=agent)
    many, response = queries_of(api, CIS, ci_class="server")
    assert len(response.json()["results"]) == 7 and many == one <= 4  # search_path, the class, its descendants, the page


def test_requesters_get_403_everywhere(tenant, agent):
    ci = services.create_ci(by=agent, name="web01", ci_class=klass("linux_server"))
    client = api_client(tenant, RequesterFactory())
    for response in (client.get(CIS), client.get(f"{CIS}{ci.pk}/"), client.get("/api/v1/cmdb/classes/"),
                     client.post(CIS, {"name": "x", "ci_class": "linux_server"}),
                     client.get(f"{CIS}{ci.pk}/impact/"), client.get(RELATIONSHIPS)):
        assert response.status_code == 403 and error_of(response)["code"] == "permission_denied"
    assert CI.objects.count() == 1
    # Session authentication works as a token does.
    admin_session = api_client(tenant, AdminFactory(), auth="session")
    assert admin_session.get(f"{CIS}{ci.pk}/").status_code == 200


# -- relationships ------------------------------------------------------------------------------------

def test_relate_list_and_remove(tenant, api, agent):
    server = services.create_ci(by=agent, name="web01", ci_class=klass("linux_server"))
    app = services.create_ci(by=agent, name="CRM", ci_class=klass("application"))
    other = services.create_ci(by=agent, name="ERP", ci_class=klass("application"))
    made = api.post(RELATIONSHIPS, {"type": "runs_on", "source": app.pk, "target": server.pk})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["label"] == "CRM runs on web01" and body["type"]["key"] == "runs_on"
    assert body["source"] == {"id": app.pk, "name": "CRM", "ci_class": "application"}
    api.post(RELATIONSHIPS, {"type": "depends_on", "source": other.pk, "target": app.pk})
    assert [r["id"] for r in api.get(RELATIONSHIPS, {"ci": server.pk}).json()["results"]] == [body["id"]]
    assert len(api.get(RELATIONSHIPS, {"ci": app.pk}).json()["results"]) == 2
    assert len(api.get(RELATIONSHIPS, {"type": "depends_on"}).json()["results"]) == 1
    assert len(api.get(RELATIONSHIPS, {"target": server.pk, "source": app.pk}).json()["results"]) == 1
    assert error_of(api.get(RELATIONSHIPS, {"type": "loves"}))["fields"]["type"]
    assert api.get(f"{RELATIONSHIPS}{body['id']}/").json() == body
    assert api.delete(f"{RELATIONSHIPS}{body['id']}/").status_code == 204
    assert not Relationship.objects.filter(pk=body["id"]).exists()
    assert list(server.history.values_list("kind", flat=True)) == ["created", "relationship_added",
                                                                    "relationship_removed"]
    assert api.delete(f"{RELATIONSHIPS}{body['id']}/").status_code == 404


def test_relationships_and_history_cost_the_same_for_one_row_or_many(tenant, api, agent):
    hub = services.create_ci(by=agent, name="core-sw", ci_class=klass("network_device"))

    def connect(count):
        for index in range(count):
            server = services.create_ci(by=agent, name=f"srv{index}-{count}", ci_class=klass("linux_server"))
            services.add_relationship(by=agent, type=rel_type("connects_to"), source=server, target=hub)

    connect(1)
    api.get(RELATIONSHIPS)
    counts = []
    for more in (0, 5):
        connect(more)
        counts.append((queries_of(api, RELATIONSHIPS, ci=hub.pk)[0], queries_of(api, f"{CIS}{hub.pk}/history/")[0]))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("case", ["disallowed_classes", "self", "cycle", "duplicate", "unknown_type", "unknown_ci",
                                  "unknown_field", "text_id"])
def test_bad_relationships_are_400_with_the_field_and_write_nothing(tenant, api, agent, case):
    server = services.create_ci(by=agent, name="web01", ci_class=klass("linux_server"))
    app = services.create_ci(by=agent, name="CRM", ci_class=klass("application"))
    services.add_relationship(by=agent, type=rel_type("depends_on"), source=app, target=server)
    body, field = {
        "disallowed_classes": ({"type": "runs_on", "source": server.pk, "target": app.pk}, "target"),
        "self": ({"type": "depends_on", "source": app.pk, "target": app.pk}, "target"),
        "cycle": ({"type": "depends_on", "source": server.pk, "target": app.pk}, "target"),
        "duplicate": ({"type": "depends_on", "source": app.pk, "target": server.pk}, "target"),
        "unknown_type": ({"type": "loves", "source": app.pk, "target": server.pk}, "type"),
        "unknown_ci": ({"type": "depends_on", "source": app.pk, "target": 999999}, "target"),
        "unknown_field": ({"type": "depends_on", "source": app.pk, "target": server.pk, "note": "x"}, "note"),
        "text_id": ({"type": "depends_on", "source": str(app.pk), "target": server.pk}, "source"),
    }[case]
    before = (Relationship.objects.count(), CIHistory.objects.count())
    response = api.post(RELATIONSHIPS, body)
    assert response.status_code == 400 and field in error_of(response)["fields"], response.content
    assert (Relationship.objects.count(), CIHistory.objects.count()) == before


# -- impact -------------------------------------------------------------------------------------------

def test_impact_downstream_and_upstream_with_paths(tenant, api, agent):
    cis = shop_chain(by=agent)
    server, service = cis["lnx-db-01"], cis["Online Sales"]
    body = api.get(f"{CIS}{server.pk}/impact/").json()
    assert body["direction"] == "downstream" and body["depth"] == 10 and body["ci"]["name"] == "lnx-db-01"
    assert [(r["ci"]["name"], r["depth"]) for r in body["reached"]] == [
        ("shop-db", 1), ("ShopFront", 2), ("Web Shop", 3), ("Online Sales", 4)]
    [sales] = body["business_services"]
    assert [step["name"] for step in sales["path"]] == ["lnx-db-01", "shop-db", "ShopFront", "Web Shop", "Online Sales"]
    assert sales["via"] == ["runs_on", "depends_on", "depends_on", "depends_on"] and sales["is_business_service"]
    assert sales["path"][0]["id"] == server.pk and sales["ci"]["ci_class"] == "business_service"
    shallow = api.get(f"{CIS}{server.pk}/impact/", {"depth": 2}).json()
    assert [r["ci"]["name"] for r in shallow["reached"]] == ["shop-db", "ShopFront"] and not shallow["business_services"]
    up = api.get(f"{CIS}{service.pk}/impact/", {"direction": "upstream", "depth": 20}).json()
    assert [(r["ci"]["name"], r["depth"]) for r in up["reached"]] == [
        ("Web Shop", 1), ("ShopFront", 2), ("shop-db", 3), ("lnx-db-01", 4)]
    assert up["reached"][-1]["path"][0]["name"] == "Online Sales"


@pytest.mark.parametrize("params, field", [({"depth": 0}, "depth"), ({"depth": 21}, "depth"), ({"depth": "x"}, "depth"),
                                           ({"direction": "sideways"}, "direction"), ({"hops": 2}, "hops")])
def test_impact_refuses_bad_parameters(tenant, api, agent, params, field):
    ci = services.create_ci(by=agent, name="web01", ci_class=klass("linux_server"))
    response = api.get(f"{CIS}{ci.pk}/impact/", params)
    assert response.status_code == 400 and field in error_of(response)["fields"]


def test_impact_costs_the_same_queries_however_far_it_reaches(tenant, api, agent):
    near = shop_chain(by=agent, prefix="a-")
    api.get(f"{CIS}{near['Web Shop'].pk}/impact/")
    short, _ = queries_of(api, f"{CIS}{near['Web Shop'].pk}/impact/")
    long, response = queries_of(api, f"{CIS}{near['lnx-db-01'].pk}/impact/")
    assert len(response.json()["reached"]) == 4 and short == long <= 6  # search_path, the CI, the walk, names, service classes (2)


# -- isolation ----------------------------------------------------------------------------------------

def test_another_tenant_cannot_see_or_change_alphas_cmdb(tenant, other_tenant, in_other_tenant, agent):
    cis = shop_chain(by=agent)
    server = cis["lnx-db-01"]
    relationship = Relationship.objects.filter(target=server).get()
    with in_other_tenant():
        stranger = AdminFactory()
        assert not CI.objects.filter(pk=server.pk).exists() and not Relationship.objects.filter(pk=relationship.pk).exists()
    client = api_client(other_tenant, stranger)
    responses = [client.get(f"{CIS}{server.pk}/"), client.get(f"{CIS}{server.pk}/impact/"),
                 client.get(f"{CIS}{server.pk}/history/"), client.patch(f"{CIS}{server.pk}/", {"name": "stolen"}),
                 client.get(f"{RELATIONSHIPS}{relationship.pk}/"), client.delete(f"{RELATIONSHIPS}{relationship.pk}/")]
    listed = client.get(CIS).json()["results"]
    back_to(tenant)
    assert [r.status_code for r in responses] == [404] * 6
    assert all(b"lnx-db-01" not in r.content for r in responses) and listed == []
    server.refresh_from_db()
    assert server.name == "lnx-db-01" and server.version == 1 and Relationship.objects.filter(pk=relationship.pk).exists()
