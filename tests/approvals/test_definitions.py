"""Chain definitions and conditions: refused with field errors naming the stage, nothing saved half-way."""

import pytest

from approvals import conditions
from approvals.definitions import save_chain
from approvals.models import ApprovalChainDefinition, StageDefinition
from core.exceptions import NotPermitted, ValidationFailed
from tests.factories import AdminFactory, AgentFactory, GroupFactory


@pytest.fixture
def admin(tenant):
    return AdminFactory()


def errors_of(admin, stages, **kwargs):
    with pytest.raises(ValidationFailed) as refused:
        save_chain(by=admin, name=kwargs.pop("name", "Chain"), stages=stages, **kwargs)
    assert not ApprovalChainDefinition.objects.filter(name="Chain").exists()
    return refused.value.fields


def test_a_valid_chain_is_saved_with_its_stages(admin, finance):
    boss = AgentFactory()
    chain = save_chain(by=admin, name="Hardware", description="Laptops", stages=[
        {"order": 1, "name": "Manager", "kind": "manager", "reminder_after_hours": 4, "timeout_after_hours": 16,
         "timeout_action": "escalate", "escalate_to": boss},
        {"order": 2, "name": "Finance", "kind": "rule", "group": finance, "group_mode": "quorum", "quorum": 2,
         "rule_condition": {"all": [{"fact": "price", "op": "gt", "value": 1000}]}},
    ])
    assert list(chain.stages.values_list("order", "kind", "quorum")) == [(1, "manager", None), (2, "rule", 2)]
    # Saving again replaces the stages whole.
    save_chain(by=admin, chain=chain, name="Hardware", stages=[{"order": 1, "name": "Boss", "kind": "user", "user": boss}])
    assert list(chain.stages.values_list("name", flat=True)) == ["Boss"]


def test_only_tenant_admins(tenant):
    with pytest.raises(NotPermitted):
        save_chain(by=AgentFactory(), name="X", stages=[{"order": 1, "name": "M", "kind": "manager"}])


def test_empty_stages_and_people_missing(admin):
    empty_group = GroupFactory(name="Nobody")
    fields = errors_of(admin, [
        {"order": 1, "name": "U", "kind": "user"},
        {"order": 2, "name": "G", "kind": "group", "group": empty_group},
        {"order": 2, "name": "", "kind": "group"},
        {"order": 4, "name": "R", "kind": "rule", "user": AgentFactory()},
    ])
    assert fields["stages.0.user"] == ["A user stage needs the person who approves."]
    assert fields["stages.1.group"] == ["The group Nobody has no active members to approve."]
    assert fields["stages.2.order"] == ["Stage 2 already has the order 2."]
    assert fields["stages.2.name"] == ["A stage needs a name."]
    assert fields["stages.2.group"] == ["A group stage needs the group whose members approve."]
    assert fields["stages.3.rule_condition"] == ["A rule stage needs the condition under which it applies."]
    assert errors_of(admin, []) == {"stages": ["A chain needs at least one stage."]}


def test_quorum_larger_than_the_group(admin, finance):
    fields = errors_of(admin, [{"order": 1, "name": "F", "kind": "group", "group": finance, "group_mode": "quorum",
                                "quorum": 4}])
    assert fields == {"stages.0.quorum": ["A quorum of 4 is larger than the group Finance (3 active members)."]}


def test_timeouts_need_their_action_and_person(admin):
    fields = errors_of(admin, [
        {"order": 1, "name": "A", "kind": "manager", "timeout_after_hours": 8},
        {"order": 2, "name": "B", "kind": "manager", "timeout_after_hours": 8, "timeout_action": "escalate"},
        {"order": 3, "name": "C", "kind": "manager", "reminder_after_hours": 9, "timeout_after_hours": 8,
         "timeout_action": "reject"},
    ])
    assert fields["stages.0.timeout_action"] == ["Say what happens at the timeout: escalate or reject."]
    assert fields["stages.1.escalate_to"] == ["Escalation needs the person to escalate to."]
    assert fields["stages.2.reminder_after_hours"] == ["The reminder must come before the timeout."]


def test_bad_conditions_are_field_errors(admin):
    fields = errors_of(admin, [{"order": 1, "name": "M", "kind": "manager",
                                "skip_condition": {"all": [{"fact": "price", "op": "bigger", "value": 1},
                                                           {"fact": "price", "op": "gt", "value": "lots"}]}}])
    assert fields["stages.0.skip_condition"] == [
        "all.0: unknown op 'bigger'; use one of eq, ne, gt, gte, lt, lte, in, contains, is_set.",
        "all.1: 'gt' compares numbers; the value must be a number."]


def test_duplicate_names_refused(admin):
    save_chain(by=admin, name="Chain A", stages=[{"order": 1, "name": "M", "kind": "manager"}])
    assert errors_of(admin, [{"order": 1, "name": "M", "kind": "manager"}], name="chain a") == {
        "name": ["A chain named 'chain a' already exists."]}
    assert StageDefinition.objects.count() == 1


@pytest.mark.parametrize("condition, facts, expected", [
    ({}, {}, True),
    ({"fact": "price", "op": "gt", "value": 1000}, {"price": 1500.5}, True),
    ({"fact": "price", "op": "gt", "value": 1000}, {"price": "900"}, False),
    ({"fact": "price", "op": "gte", "value": 1000}, {}, False),
    ({"fact": "price", "op": "lt", "value": 10}, {"price": 9}, True),
    ({"fact": "price", "op": "lte", "value": 10}, {"price": 10}, True),
    ({"fact": "category", "op": "eq", "value": "Laptops"}, {"category": "Laptops"}, True),
    ({"fact": "category", "op": "ne", "value": "Laptops"}, {}, True),
    ({"fact": "category", "op": "in", "value": ["A", "B"]}, {"category": "B"}, True),
    ({"fact": "title", "op": "contains", "value": "mac"}, {"title": "New MacBook"}, True),
    ({"fact": "tags", "op": "contains", "value": "vip"}, {"tags": ["vip"]}, True),
    ({"fact": "variables.cost_centre", "op": "is_set", "value": True}, {"variables": {"cost_centre": "42"}}, True),
    ({"fact": "variables.cost_centre", "op": "is_set", "value": False}, {"variables": {}}, True),
    ({"any": [{"fact": "a", "op": "eq", "value": 1}, {"fact": "b", "op": "eq", "value": 2}]}, {"b": 2}, True),
    ({"not": {"fact": "a", "op": "eq", "value": 1}}, {"a": 1}, False),
])
def test_conditions_evaluate(condition, facts, expected):
    assert conditions.errors(condition) == []
    assert conditions.holds(condition, facts) is expected


@pytest.mark.parametrize("condition, message", [
    ([], "a condition must be an object."),
    ({"all": []}, "'all' needs a non-empty list of conditions."),
    ({"all": [1]}, "all.0: a condition must be an object."),
    ({"fact": "", "op": "eq", "value": 1}, "'fact' must name a fact"),
    ({"fact": "a", "op": "in", "value": "x"}, "'in' needs a list of plain values."),
    ({"fact": "a", "op": "is_set", "value": "yes"}, "'is_set' takes true or false."),
    ({"fact": "a", "op": "eq", "value": {"x": 1}}, "'eq' needs a plain value"),
    ({"fact": "a", "op": "eq"}, "'eq' needs a value."),
    ({"fact": "a", "op": "eq", "value": 1, "extra": 2}, "unknown key extra."),
    ({"all": [{"fact": "a", "op": "eq", "value": 1}], "any": []}, "a group has exactly one key"),
])
def test_condition_errors(condition, message):
    assert any(message in found for found in conditions.errors(condition))
