"""Ticket rows are written by tickets.services only: every other ORM write fails loudly."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.models import Incident
from tests.factories import AgentFactory, make_incident
from tickets import events
from tickets import services as ticket_services
from tickets.models import Ticket, TimelineEntry
from tickets.registry import ticket_models
from tickets.write_guard import GuardedTicketQuerySet, TicketWriteOutsideServices, direct_writes


def stored(incident):
    return Incident.objects.values("title", "version").get(pk=incident.pk)


@pytest.mark.parametrize("model", ticket_models(), ids=lambda m: m._meta.label)
def test_every_registered_ticket_type_is_guarded(model):
    assert isinstance(model._default_manager.get_queryset(), GuardedTicketQuerySet)
    assert model.save is Ticket.save  # no type overrides the guarded save


def test_a_direct_save_is_refused_and_writes_nothing(tenant, agent):
    incident = make_incident(by=agent, title="Before")
    incident.title = "Changed behind the services' back"
    with pytest.raises(TicketWriteOutsideServices, match=r"incidents\.Incident\.save\(\) outside tickets\.services"):
        incident.save()
    assert stored(incident) == {"title": "Before", "version": 1}


@pytest.mark.parametrize("write", [
    lambda incident: Incident.objects.filter(pk=incident.pk).update(title="Bulk"),
    lambda incident: Incident.objects.bulk_update([incident], ["title"]),
    lambda incident: Incident.objects.filter(pk=incident.pk).select_for_update().update(title="Through a locked set"),
], ids=["update", "bulk_update", "locked_update"])
def test_queryset_writes_are_refused(tenant, agent, write):
    incident = make_incident(by=agent, title="Before")
    incident.title = "Bulk"
    with pytest.raises(TicketWriteOutsideServices):
        write(incident)
    assert stored(incident) == {"title": "Before", "version": 1}
    assert Incident.objects.filter(title__in=["Bulk", "Through a locked set"]).count() == 0


@pytest.mark.parametrize("create", [
    lambda agent: Incident.objects.create(number="INC9999999", title="Raw", state="new", requester=agent),
    lambda agent: Incident.objects.bulk_create([Incident(number="INC9999999", title="Raw", state="new", requester=agent)]),
    lambda agent: Incident.objects.get_or_create(number="INC9999999", defaults={"title": "Raw", "requester": agent}),
], ids=["create", "bulk_create", "get_or_create"])
def test_creating_a_ticket_without_the_services_is_refused(tenant, agent, create):
    with pytest.raises(TicketWriteOutsideServices):
        create(agent)
    assert not Incident.objects.filter(number="INC9999999").exists()


def test_every_service_writes_through_the_guard(tenant, agent, requester):
    incident = ticket_services.create_ticket(Incident, by=agent, requester=requester, title="Through the services",
                                             channel="phone")
    incident = ticket_services.update_ticket(incident, by=agent, changes={"impact": 1}, expected_version=1)
    incident = ticket_services.transition(incident, "start", by=agent)
    ticket_services.add_comment(incident, by=agent, body="On it", is_public=True)
    ticket_services.add_attachment(incident, by=agent, upload=SimpleUploadedFile("note.txt", b"plain text\n"))
    ticket_services.set_watchers(incident, by=agent, watchers=[requester])
    incident.refresh_from_db()
    assert (incident.state, incident.impact, incident.version, incident.first_response_at is not None) == (
        "in_progress", 1, 3, True)
    kinds = list(TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=incident.pk)
                 .values_list("kind", flat=True))
    assert kinds == ["created", "field_change", "transition", "reply", "attachment", "field_change"]


def test_a_listener_inside_a_service_cannot_write_the_ticket_itself(tenant, agent, monkeypatch):
    """The services open the guard around their own save only, not around the listeners they call."""
    def sneaky(event):
        event.ticket.title = "Written by a listener"
        event.ticket.save(update_fields=["title"])

    monkeypatch.setitem(events._in_transaction, events.UPDATED, [*events._in_transaction.get(events.UPDATED, []), sneaky])
    incident = make_incident(by=agent, title="Before")
    with pytest.raises(TicketWriteOutsideServices):
        ticket_services.update_ticket(incident, by=agent, changes={"impact": 1})
    assert stored(incident) == {"title": "Before", "version": 1}  # the whole update rolled back


def test_direct_writes_is_the_documented_escape_and_ends_with_its_block(tenant, agent):
    incident = make_incident(by=agent, title="Before")
    with direct_writes("test: the escape hatch itself"):
        Incident.objects.filter(pk=incident.pk).update(title="Imported")
    assert stored(incident)["title"] == "Imported"
    with pytest.raises(TicketWriteOutsideServices):
        Incident.objects.filter(pk=incident.pk).update(title="After the block")
    with pytest.raises(ValueError, match="Say why"):
        with direct_writes(" "):
            pass


def test_the_factories_build_tickets_through_the_services(tenant):
    agent = AgentFactory()
    incident = make_incident(by=agent)
    assert TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=incident.pk, kind="created").exists()
