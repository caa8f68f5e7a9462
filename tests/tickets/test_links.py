"""Links between tickets: the services, the read path, the kinds, and what they refuse."""

import pytest
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from incidents.models import Incident
from tests.factories import AgentFactory, incident_beta_does_not_have, make_incident
from tickets import events
from core.exceptions import NotPermitted, ValidationFailed
from tickets.links import kinds
from tickets.links.queries import links_of
from tickets.links.services import LinkNotFound, link_tickets, unlink
from tickets.models import TicketLink, TimelineEntry
from tickets.registry import model_for_number, ticket_for_number


@pytest.fixture
def pair(tenant, agent):
    return make_incident(by=agent, title="Core switch down"), make_incident(by=agent, title="Mail is slow")


@pytest.fixture
def problem_only_kind():
    """A kind whose source must be a problem, as problems will declare "problem of incident"."""
    kind = kinds.register(kinds.LinkKind("fix_for", "fix for", "fixed by", source_types={"problems.problem"}))
    yield kind
    kinds.unregister(kind.name)


def link_entries(ticket):
    return list(TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=ticket.pk,
                                             kind=TimelineEntry.Kind.LINK).values_list("data", flat=True))


def test_link_reads_from_both_sides_and_is_on_both_timelines(pair, agent):
    cause, effect = pair
    link = link_tickets(cause, effect, "causes", by=agent)
    [from_cause] = links_of(cause)
    [from_effect] = links_of(effect)
    assert (from_cause.id, from_cause.label, from_cause.side, from_cause.other.number) == (
        link.pk, "causes", "causes", effect.number)
    assert (from_effect.id, from_effect.label, from_effect.side, from_effect.other.number) == (
        link.pk, "caused by", "caused_by", cause.number)
    assert from_effect.other.title == "Core switch down" and from_effect.other.state == "new"
    [on_cause] = link_entries(cause)
    [on_effect] = link_entries(effect)
    assert on_cause["action"] == on_effect["action"] == "linked"
    assert (on_cause["label"], on_cause["number"]) == ("causes", effect.number)
    assert (on_effect["label"], on_effect["number"]) == ("caused by", cause.number)
    # Internal history: never shown to requesters.
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.LINK, is_public=True).exists()


def test_linking_does_not_change_the_tickets_versions(pair, agent):
    cause, effect = pair
    link_tickets(cause, effect, "related", by=agent)
    assert [Incident.objects.get(pk=t.pk).version for t in pair] == [cause.version, effect.version]


def test_link_and_unlink_publish_an_event_for_each_ticket(pair, agent, django_capture_on_commit_callbacks,
                                                           monkeypatch):
    seen = []
    monkeypatch.setattr(events, "_listeners", {**events._listeners})
    monkeypatch.setitem(events._listeners, events.LINKED, [lambda e: seen.append((e.name, e.ticket.number, e.data["label"]))])
    monkeypatch.setitem(events._listeners, events.UNLINKED, [lambda e: seen.append((e.name, e.ticket.number, e.data["label"]))])
    parent, child = pair
    with django_capture_on_commit_callbacks(execute=True):
        link = link_tickets(parent, child, "parent", by=agent)
    with django_capture_on_commit_callbacks(execute=True):
        unlink(child, link.pk, by=agent)
    assert seen == [("linked", parent.number, "parent of"), ("linked", child.number, "child of"),
                    ("unlinked", child.number, "child of"), ("unlinked", parent.number, "parent of")]


def test_unlink_from_either_side_removes_it_and_records_on_both(pair, agent):
    a, b = pair
    link = link_tickets(a, b, "duplicate", by=agent)
    unlink(b, link.pk, by=agent)
    assert not TicketLink.objects.exists()
    assert links_of(a) == [] and links_of(b) == []
    assert [d["action"] for d in link_entries(a)] == ["linked", "unlinked"]
    assert [(d["action"], d["label"]) for d in link_entries(b)] == [("linked", "duplicated by"),
                                                                      ("unlinked", "duplicated by")]


def test_unlink_refuses_a_link_of_another_ticket(pair, agent):
    a, b = pair
    link = link_tickets(a, b, "related", by=agent)
    third = make_incident(by=agent)
    with pytest.raises(LinkNotFound):
        unlink(third, link.pk, by=agent)
    with pytest.raises(LinkNotFound):
        unlink(a, link.pk + 1000, by=agent)
    assert TicketLink.objects.filter(pk=link.pk).exists()
    assert len(link_entries(a)) == 1


def test_requesters_cannot_link_or_unlink(pair, agent, requester):
    a, b = pair
    with pytest.raises(NotPermitted):
        link_tickets(a, b, "related", by=requester)
    link = link_tickets(a, b, "related", by=agent)
    with pytest.raises(NotPermitted):
        unlink(a, link.pk, by=requester)
    assert TicketLink.objects.count() == 1


# -- bad input: each refused with the field it is about, nothing written ----------------------------

def assert_nothing_written(*tickets):
    assert not TicketLink.objects.exists()
    for ticket in tickets:
        assert link_entries(ticket) == []


def test_a_ticket_cannot_be_linked_to_itself(pair, agent):
    a, _ = pair
    with pytest.raises(ValidationFailed) as refused:
        link_tickets(a, Incident.objects.get(pk=a.pk), "related", by=agent)
    assert refused.value.fields == {"number": [f"{a.number} cannot be linked to itself."]}
    assert_nothing_written(a)


def test_the_database_refuses_a_self_link_too(pair):
    a, _ = pair
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketLink.objects.create(kind="related", source_type="incidents.incident", source_id=a.pk,
                                  target_type="incidents.incident", target_id=a.pk)


@pytest.mark.parametrize("kind", ["causes", "parent", "duplicate", "related"])
def test_a_duplicate_link_is_refused_from_either_side(pair, agent, kind):
    a, b = pair
    link_tickets(a, b, kind, by=agent)
    for source, target in ((a, b), (b, a)):
        with pytest.raises(ValidationFailed) as refused:
            link_tickets(source, target, kind, by=agent)
        assert "already linked" in refused.value.fields["number"][0]
    assert TicketLink.objects.count() == 1
    assert len(link_entries(a)) == len(link_entries(b)) == 1


def test_the_database_refuses_the_reverse_duplicate_too(pair):
    a, b = pair
    ends = {"source_type": "incidents.incident", "target_type": "incidents.incident"}
    TicketLink.objects.create(kind="causes", source_id=a.pk, target_id=b.pk, **ends)
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketLink.objects.create(kind="causes", source_id=b.pk, target_id=a.pk, **ends)


def test_two_kinds_between_one_pair_are_two_links(pair, agent):
    a, b = pair
    link_tickets(a, b, "causes", by=agent)
    link_tickets(a, b, "related", by=agent)
    assert [link.label for link in links_of(a)] == ["causes", "related to"]


def test_a_kind_that_does_not_fit_the_two_types_is_refused(pair, agent, problem_only_kind):
    a, b = pair
    with pytest.raises(ValidationFailed) as refused:
        link_tickets(a, b, "fix_for", by=agent)
    assert refused.value.fields == {"kind": ["An incident cannot be fix for an incident."]}
    assert_nothing_written(a, b)


def test_duplicate_needs_two_tickets_of_one_type(pair):
    a, _ = pair
    assert kinds.DUPLICATE.refusal(a, a) is None
    message = kinds.DUPLICATE.refusal(a, kinds_stand_in("problems.problem", "problem"))
    assert message == "Only tickets of the same type can be 'duplicate of' each other: an incident cannot be duplicate of a problem."
    assert kinds.RELATED.refusal(a, kinds_stand_in("problems.problem", "problem")) is None


def kinds_stand_in(label, noun):
    """Something with a model's ``_meta``: another ticket type that is not installed yet."""
    meta = type("Meta", (), {"label_lower": label, "verbose_name": noun})
    return type("StandIn", (), {"_meta": meta})


def test_an_unknown_kind_is_refused(pair, agent):
    a, b = pair
    with pytest.raises(ValidationFailed) as refused:
        link_tickets(a, b, "blocks", by=agent)
    assert refused.value.fields == {"kind": ["Unknown link kind 'blocks'."]}
    assert_nothing_written(a, b)


def test_a_deleted_ticket_cannot_be_linked(pair, agent):
    a, b = pair
    Incident.objects.filter(pk=b.pk).delete()
    with pytest.raises(ValidationFailed) as refused:
        link_tickets(a, b, "related", by=agent)
    assert refused.value.fields == {"number": [f"{b.number} no longer exists."]}
    assert_nothing_written(a)
    assert ticket_for_number(b.number) is None


def test_links_to_a_deleted_ticket_are_left_out_and_can_be_removed(pair, agent):
    a, b = pair
    link = link_tickets(a, b, "related", by=agent)
    Incident.objects.filter(pk=b.pk).delete()
    assert links_of(a) == []
    unlink(a, link.pk, by=agent)
    assert not TicketLink.objects.exists()
    assert [(d["action"], d["number"]) for d in link_entries(a)] == [("linked", b.number), ("unlinked", None)]


def test_the_system_can_link_as_itself(pair):
    from tickets.services import SystemActor

    a, b = pair
    link = link_tickets(a, b, "related", by=SystemActor("monitoring"))
    assert link.created_by is None
    entry = TimelineEntry.objects.get(ticket_id=a.pk, kind=TimelineEntry.Kind.LINK)
    assert entry.author is None and entry.data["source"] == "monitoring"


def test_kinds_must_not_clash():
    with pytest.raises(ValueError):
        kinds.register(kinds.LinkKind("blocks", "causes", "blocked by"))
    with pytest.raises(ValueError):
        kinds.register(kinds.LinkKind("twin", "twin of", "twinned with", symmetric=True))
    assert "blocks" not in kinds.KINDS and "twin" not in kinds.KINDS


# -- reading ----------------------------------------------------------------------------------------

def test_links_of_is_two_queries_whatever_the_number_of_links(pair, agent, django_assert_num_queries):
    a, _ = pair
    for _ in range(6):
        link_tickets(a, make_incident(by=agent), "parent", by=agent)
    with django_assert_num_queries(2):  # the links with their authors, then the incidents linked to
        links = links_of(a)
        assert [link.other.title for link in links] == ["Printer is on fire"] * 6
        assert all(link.link.created_by == agent for link in links)


def test_ticket_for_number_finds_the_type_by_prefix(pair):
    a, _ = pair
    assert model_for_number(a.number.lower()) is Incident
    assert ticket_for_number(f" {a.number.lower()} ") == a
    for unknown in ("INC9999999", "XYZ0001001", "INC", "INC12A", ""):
        assert ticket_for_number(unknown) is None


# -- tenants ----------------------------------------------------------------------------------------

def test_another_tenants_number_is_unknown_here_and_its_links_unseen(tenant, other_tenant, pair, agent):
    a, b = pair
    link_tickets(a, b, "related", by=agent)
    alpha_only = incident_beta_does_not_have(by=agent, other_tenant=other_tenant)
    with schema_context(other_tenant.schema_name):
        assert ticket_for_number(alpha_only.number) is None
        assert not TicketLink.objects.exists()
        beta_ticket = make_incident(by=AgentFactory())
        assert links_of(beta_ticket) == []


def test_kinds_say_which_types_may_stand_on_each_side(pair, problem_only_kind):
    a, _ = pair
    problem = kinds_stand_in("problems.problem", "problem")
    assert not problem_only_kind.admits(a, as_source=True) and problem_only_kind.admits(a, as_source=False)
    assert problem_only_kind.admits(problem, as_source=True)
    assert [name for name, _ in kinds.side_choices(a) if "fix" in name] == ["fixed_by"]
    assert [name for name, _ in kinds.side_choices() if "fix" in name] == ["fix_for", "fixed_by"]


def test_link_by_number_reads_the_side_from_the_ticket_it_is_made_on(pair, agent):
    from tickets.links.services import link_by_number

    cause, effect = pair
    made = link_by_number(effect, "caused_by", f" {cause.number.lower()} ", by=agent)
    assert (made.label, made.other, made.link.source_id, made.link.target_id) == (
        "caused by", cause, cause.pk, effect.pk)
    with pytest.raises(ValidationFailed) as refused:
        link_by_number(effect, "related_to", "INC9999999", by=agent)
    assert refused.value.fields == {"number": ["There is no ticket INC9999999."]}
    with pytest.raises(ValidationFailed) as refused:
        link_by_number(effect, "blocks", cause.number, by=agent)
    assert set(refused.value.fields) == {"kind"}
    assert TicketLink.objects.count() == 1
