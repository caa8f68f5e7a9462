"""The two listener phases: inside the writer's transaction, and after commit."""

import pytest

from incidents.models import Incident
from tests.factories import make_incident
from tickets import events


@pytest.fixture
def in_transaction_listener(monkeypatch):
    calls = []
    monkeypatch.setattr(events, "_in_transaction", {**events._in_transaction})

    def register(fn):
        monkeypatch.setitem(events._in_transaction, events.CREATED, [*events._in_transaction.get(events.CREATED, []), fn])
        return calls

    return register


def test_an_in_transaction_listener_sees_the_locked_ticket_before_commit(tenant, agent, in_transaction_listener,
                                                                          django_capture_on_commit_callbacks):
    seen = []
    in_transaction_listener(lambda event: seen.append((event.ticket.number, Incident.objects.filter(pk=event.ticket.pk).exists())))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = make_incident(by=agent)
    assert seen == [(incident.number, True)]  # ran during the write, before any after-commit callback
    assert callbacks  # the after-commit listeners (mail) are still only scheduled


def test_a_failing_in_transaction_listener_aborts_the_write(tenant, agent, in_transaction_listener):
    def broken(event):
        raise RuntimeError("listener failed")

    in_transaction_listener(broken)
    before = Incident.objects.count()
    with pytest.raises(RuntimeError):
        make_incident(by=agent, title="Must not be saved")
    assert Incident.objects.count() == before
    assert not Incident.objects.filter(title="Must not be saved").exists()
