"""/desk/settings/approvals/: tenant admins build chains without code; errors land on the row they name."""

import json

from approvals.models import ApprovalChainDefinition
from tests.factories import AdminFactory, AgentFactory, GroupFactory


def management(total, initial=0):
    return {"stages-TOTAL_FORMS": str(total), "stages-INITIAL_FORMS": str(initial), "stages-MIN_NUM_FORMS": "0",
            "stages-MAX_NUM_FORMS": "30"}


def test_an_admin_creates_and_edits_a_chain(tenant, make_client):
    admin = AdminFactory()
    finance = GroupFactory(name="Finance")
    finance.members.add(AgentFactory())
    client = make_client(tenant, admin)
    assert client.get("/desk/settings/approvals/").status_code == 200
    assert client.get("/desk/settings/approvals/new/").status_code == 200
    response = client.post("/desk/settings/approvals/new/", {
        "name": "Hardware", "is_active": "on", **management(3),
        "stages-0-order": "1", "stages-0-name": "Manager", "stages-0-kind": "manager", "stages-0-group_mode": "any",
        "stages-1-order": "2", "stages-1-name": "Finance", "stages-1-kind": "rule", "stages-1-group": finance.pk,
        "stages-1-group_mode": "any",
        "stages-1-rule_condition": json.dumps({"fact": "price", "op": "gt", "value": 1000}),
        "stages-2-kind": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    chain = ApprovalChainDefinition.objects.get(name="Hardware")
    assert list(chain.stages.values_list("kind", "rule_condition")) == [
        ("manager", {}), ("rule", {"fact": "price", "op": "gt", "value": 1000})]
    page = client.get(f"/desk/settings/approvals/{chain.pk}/").content.decode()
    assert "Finance" in page and "&quot;price&quot;" in page
    assert "Hardware" in client.get("/desk/settings/approvals/").content.decode()


def test_errors_are_shown_on_the_stage_and_nothing_is_saved(tenant, make_client):
    client = make_client(tenant, AdminFactory())
    response = client.post("/desk/settings/approvals/new/", {
        "name": "Broken", **management(2),
        "stages-0-order": "1", "stages-0-name": "Person", "stages-0-kind": "user", "stages-0-group_mode": "any",
        "stages-1-order": "1", "stages-1-name": "Skip", "stages-1-kind": "manager", "stages-1-group_mode": "any",
        "stages-1-skip_condition": '{"fact": "x", "op": "gt", "value": "big"}',
    })
    page = response.content.decode()
    assert response.status_code == 400
    assert "A user stage needs the person who approves." in page
    assert "Stage 1 already has the order 1." in page
    assert "compares numbers" in page
    assert not ApprovalChainDefinition.objects.filter(name="Broken").exists()
    bad_json = client.post("/desk/settings/approvals/new/", {
        "name": "Broken", **management(1), "stages-0-order": "1", "stages-0-name": "M", "stages-0-kind": "manager",
        "stages-0-group_mode": "any", "stages-0-skip_condition": "{not json"})
    assert bad_json.status_code == 400 and "Not valid JSON" in bad_json.content.decode()


def test_agents_get_403_and_another_tenant_does_not_see_the_chain(tenant, make_client, other_tenant, in_other_tenant):
    chain = ApprovalChainDefinition.objects.create(name="Alpha only")
    assert make_client(tenant, AgentFactory()).get("/desk/settings/approvals/").status_code == 403
    with in_other_tenant():
        client = make_client(other_tenant, AdminFactory())
        assert "Alpha only" not in client.get("/desk/settings/approvals/").content.decode()
        assert client.get(f"/desk/settings/approvals/{chain.pk}/").status_code == 404
