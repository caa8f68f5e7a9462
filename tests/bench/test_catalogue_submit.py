"""bench/catalogue_submit.py's catalogue and order bodies (the HTTP parts run only in the script).

If the catalogue's rules or the order API change, these fail here instead of the benchmark
measuring 400s: every generated body must order the item (201) and start its chain's first stage.
"""

import json

from bench import catalogue_submit as bench
from bench import loadgen
from service_requests import variables
from tests.api.helpers import api_client
from tests.factories import AdminFactory, AgentFactory, GroupFactory, RequesterFactory


def _catalogue():
    approvers = GroupFactory(name=bench.GROUP)
    approvers.members.add(AgentFactory())
    item = bench.build_catalogue(AdminFactory(), group=approvers, rule_approver=AgentFactory())
    managers = [AgentFactory(), AgentFactory()]
    people = [RequesterFactory(manager=managers[i % 2]).pk for i in range(5)]
    return item, people


def test_the_item_has_twelve_variables_of_every_json_type_and_a_three_stage_chain(tenant):
    item, _ = _catalogue()

    form = [v.definition() for v in item.variables.order_by("order")]
    assert len(form) == 12
    assert {v.type for v in form} == set(variables.TYPES) - {variables.ATTACHMENT}
    assert sum(1 for v in form if v.show_when) >= 2 and sum(1 for v in form if v.required) >= 6
    assert any(v.regex for v in form) and any(v.min_value for v in form) and any(v.max_value for v in form)
    assert [(s.order, s.kind) for s in item.approval_chain.stages.order_by("order")] == [
        (1, "manager"), (2, "group"), (3, "rule")]
    assert bench.build_catalogue(AdminFactory(), group=approvers_of(item), rule_approver=AgentFactory()) == item


def approvers_of(item):
    return item.approval_chain.stages.get(order=2).group


def test_every_generated_body_orders_the_item_and_waits_on_its_first_stage(tenant, agent):
    item, people = _catalogue()
    client = api_client(tenant, agent)
    bodies = bench.order_bodies(people, n=12)

    for body in bodies:
        response = client.post(bench.order_path(item.pk), data=json.dumps(body), content_type="application/json")
        assert response.status_code == 201, response.json()

    assert bench.check_created(tenant.schema_name, 0) == {
        "items": 12, "awaiting approval": 12, "first stage pending, 2 waiting": 12}
    sent = [set(b["variables"]) for b in bodies]
    assert any("monitor_size" in s for s in sent) and any("monitor_size" not in s for s in sent)
    assert any("linux_distribution" in s for s in sent) and any("linux_distribution" not in s for s in sent)


def test_a_script_with_bodies_sends_one_at_random_and_counts_every_status():
    script = loadgen.lua_script(host="catbench.localhost", headers={"Authorization": "Token k"}, method="POST",
                                paths=["/api/v1/catalog/items/1/order/"], bodies=['{"a": 1}', '{"a": 2}'])

    assert 'local bodies = {"{\\"a\\": 1}", "{\\"a\\": 2}"}' in script
    assert "bodies[math.random(#bodies)]" in script
    assert "WRKSTATUS" in script and "WRKJSON" in script
    assert loadgen.statuses('x\nWRKSTATUS {"201": 330, "400": 2}\n') == {201: 330, 400: 2}
    assert loadgen.statuses("no status line") == {}
