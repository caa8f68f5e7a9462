"""Creates match SLA policies from a per-process cache (tenants.config_cache); an edit is seen at once."""

from django.db import connection

from sla.models import Calendar, Clock, Metric, Policy, Target
from tenants import config_cache
from tenants.models import Tenant
from tests.factories import make_incident

R = Metric.RESOLUTION
HOUR = 3600


def _clock(incident) -> Clock:
    return Clock.objects.get(ticket_type="incidents.incident", ticket_id=incident.pk, metric=R)


def _next_request(tenant):
    connection.set_tenant(Tenant.objects.get(pk=tenant.pk))


def test_a_target_edit_applies_to_the_next_create(tenant, agent, make_policy, django_capture_on_commit_callbacks):
    config_cache.clear()
    calendar = Calendar.objects.get(is_24x7=True)
    with django_capture_on_commit_callbacks(execute=True):
        make_policy(calendar, targets={(R, 5): 4 * HOUR})
    _next_request(tenant)
    assert _clock(make_incident(by=agent)).target_seconds == 4 * HOUR
    assert _clock(make_incident(by=agent)).target_seconds == 4 * HOUR  # from the cache
    with django_capture_on_commit_callbacks(execute=True):
        target = Target.objects.get(metric=R, priority=5)
        target.duration_seconds = 2 * HOUR
        target.save()
    _next_request(tenant)
    assert _clock(make_incident(by=agent)).target_seconds == 2 * HOUR


def test_a_deactivated_policy_stops_applying(tenant, agent, make_policy, django_capture_on_commit_callbacks):
    config_cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        policy = make_policy(Calendar.objects.get(is_24x7=True), targets={(R, 5): 4 * HOUR})
    _next_request(tenant)
    make_incident(by=agent)
    with django_capture_on_commit_callbacks(execute=True):
        policy = Policy.objects.get(pk=policy.pk)
        policy.is_active = False
        policy.save()
    _next_request(tenant)
    incident = make_incident(by=agent)
    assert not Clock.objects.filter(ticket_type="incidents.incident", ticket_id=incident.pk).exists()


def test_the_cached_create_reads_no_sla_configuration(tenant, agent, make_policy, django_capture_on_commit_callbacks):
    from django.test.utils import CaptureQueriesContext

    config_cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        make_policy(Calendar.objects.get(is_24x7=True), targets={(R, 5): 4 * HOUR, (Metric.RESPONSE, 5): HOUR})
    _next_request(tenant)
    make_incident(by=agent)
    with CaptureQueriesContext(connection) as ctx:
        make_incident(by=agent)
    sla = [q["sql"] for q in ctx.captured_queries if "sla_" in q["sql"]]
    assert len(sla) == 2, sla  # one insert for both clocks, one due-index upsert
    assert not [q for q in ctx.captured_queries if "prioritymatrix" in q["sql"]]
