"""Service-level tenant isolation: schemas, numbering, cache keys, files, tasks."""

from django.core.cache import cache
from django.db import connection

from incidents.models import Incident
from tests.factories import RequesterFactory, make_incident


def test_other_tenant_sees_none_of_alphas_incidents(tenant, requester, in_other_tenant):
    incident = make_incident(by=requester, title="Alpha secret outage")
    with in_other_tenant():
        assert not Incident.objects.filter(title="Alpha secret outage").exists()
        assert not Incident.objects.filter(pk=incident.pk, number=incident.number).exists()


def test_numbering_is_per_tenant(tenant, requester, in_other_tenant):
    with in_other_tenant():
        beta_user = RequesterFactory()
        first_beta = make_incident(by=beta_user)
    for _ in range(3):
        make_incident(by=requester)
    with in_other_tenant():
        second_beta = make_incident(by=beta_user)
    # Alpha's three numbers did not advance beta's sequence.
    assert int(second_beta.number[3:]) == int(first_beta.number[3:]) + 1


def test_cache_keys_carry_the_schema(tenant, in_other_tenant):
    cache.set("queue-counters", "alpha-value", 30)
    try:
        assert cache.get("queue-counters") == "alpha-value"
        with in_other_tenant():
            assert cache.get("queue-counters") is None
        assert cache.make_key("queue-counters").startswith(f"{tenant.schema_name}:")
    finally:
        cache.delete("queue-counters")


def test_background_task_runs_in_the_senders_schema(tenant, requester, in_other_tenant, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    """The notification task (run eagerly here) resolves the ticket in the schema that sent it."""
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(by=requester, title="Only alpha knows")
    assert len(mailoutbox) == 1 and "Only alpha knows" in mailoutbox[0].subject
    from tickets.tasks import send_ticket_notification

    mailoutbox.clear()
    with in_other_tenant():
        # Same ids sent from beta: the task runs in beta and finds nothing to send.
        send_ticket_notification.delay("incidents.incident", incident.pk, "created", tenant=connection.schema_name)
    assert mailoutbox == []
    # A task whose explicit tenant disagrees with the schema it runs in refuses to act.
    send_ticket_notification.delay("incidents.incident", incident.pk, "created", tenant="beta")
    assert mailoutbox == []


def test_events_committed_after_leaving_the_schema_still_notify_in_the_tenant(
        tenant, requester, mailoutbox, django_capture_on_commit_callbacks):
    """An outer transaction that commits after the schema_context has closed (as the demo loader
    does) must still run listeners, and so enqueue tasks, in the ticket's tenant."""
    from django.db import transaction
    from django_tenants.utils import schema_context

    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            with schema_context(tenant.schema_name):
                make_incident(by=requester, title="Committed from public")
            assert connection.schema_name == "public"
    assert len(mailoutbox) == 1 and "Committed from public" in mailoutbox[0].subject
    assert connection.schema_name == "public"
