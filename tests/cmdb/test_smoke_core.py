import pytest

from cmdb import services
from cmdb.models import CI, CIClass, RelationshipType
from core.exceptions import ValidationFailed


@pytest.mark.django_db
def test_core_services(tenant, agent):
    linux = CIClass.objects.get(key="linux_server")
    app_class = CIClass.objects.get(key="application")
    server = services.create_ci(by=agent, name="web01", ci_class=linux, fqdn="WEB01.Example.com.",
                                attributes={"cpu_cores": "8", "distribution": "Debian"}, text_input=True)
    assert server.fqdn == "web01.example.com" and server.attributes == {"cpu_cores": 8, "distribution": "Debian"}
    with pytest.raises(ValidationFailed) as caught:
        services.create_ci(by=agent, name="x", ci_class=linux, attributes={"nope": 1, "cpu_cores": "a"}, text_input=True)
    assert set(caught.value.fields) == {"attributes.nope", "attributes.cpu_cores"}
    with pytest.raises(ValidationFailed) as caught:
        services.create_ci(by=agent, name="web02", ci_class=linux, fqdn="web01.example.com")
    assert "fqdn" in caught.value.fields
    app = services.create_ci(by=agent, name="CRM", ci_class=app_class)
    runs_on = RelationshipType.objects.get(key="runs_on")
    services.add_relationship(by=agent, type=runs_on, source=app, target=server)
    with pytest.raises(ValidationFailed):
        services.add_relationship(by=agent, type=runs_on, source=server, target=app)  # app is no host
    depends = RelationshipType.objects.get(key="depends_on")
    services.add_relationship(by=agent, type=depends, source=app, target=server)
    with pytest.raises(ValidationFailed) as caught:
        services.add_relationship(by=agent, type=depends, source=server, target=app)
    assert "cycle" in caught.value.message
    ci, changes = services.update_ci(server, by=agent, status=CI.Status.MAINTENANCE)
    assert ci.version == 2 and changes[0]["field"] == "status"
    assert services.update_ci(ci, by=agent, status=CI.Status.MAINTENANCE)[1] == []
    assert ci.history.count() == 4


@pytest.mark.django_db
def test_merging_attributes_keeps_a_stored_decimal(tenant, agent):
    server = services.create_ci(by=agent, name="db09", ci_class=CIClass.objects.get(key="linux_server"),
                                attributes={"memory_gb": 15.5})
    assert server.attributes == {"memory_gb": "15.5"}
    ci, changes = services.update_ci(server, by=agent, attributes={"cpu_cores": 4}, merge_attributes=True)
    assert ci.attributes == {"memory_gb": "15.5", "cpu_cores": 4} and [c["field"] for c in changes] == ["attributes.cpu_cores"]
