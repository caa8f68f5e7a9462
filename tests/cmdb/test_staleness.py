"""Stale critical CIs raise one task each for their support group; the report lists stale live CIs."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from cmdb import services, staleness
from cmdb.models import CI, AffectedCI, CIClass
from cmdb.tasks import raise_stale_ci_tasks, stale_cis_all_tenants
from fulfilment.models import Task
from tickets.write_guard import direct_writes

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(tenant, agent, group):
    linux = CIClass.objects.get(key="linux_server")
    now = timezone.now()

    def ci(name, *, seen_days_ago, criticality=CI.Criticality.CRITICAL, status=CI.Status.LIVE):
        made = services.create_ci(by=agent, name=name, ci_class=linux, criticality=criticality, status=status,
                                  support_group=group)
        if seen_days_ago is not None:
            services.record_sighting(made, "SCCM", now - timedelta(days=seen_days_ago))
        return made

    return {"stale": ci("lnx-db-01", seen_days_ago=45), "never": ci("lnx-db-02", seen_days_ago=None),
            "fresh": ci("lnx-db-03", seen_days_ago=2), "minor": ci("lnx-db-04", seen_days_ago=45,
                                                                  criticality=CI.Criticality.LOW),
            "retired": ci("lnx-db-05", seen_days_ago=90, status=CI.Status.RETIRED)}


def test_one_task_per_stale_critical_ci_and_not_twice(estate, group, tenant, agent, make_client):
    def client_for(tenant):
        return make_client(tenant, agent)

    raised = raise_stale_ci_tasks(tenant=tenant.schema_name)
    assert raised == 2
    tasks = {task.title: task for task in Task.objects.all()}
    assert set(tasks) == {"Verify stale CI lnx-db-01: not seen for 45 days",
                          "Verify stale CI lnx-db-02: never seen by a discovery source"}
    task = tasks["Verify stale CI lnx-db-01: not seen for 45 days"]
    assert task.assignment_group == group and task.state == "open" and task.parent_type == ""
    assert AffectedCI.objects.get(ticket_type="fulfilment.task", ticket_id=task.pk).ci == estate["stale"]
    assert raise_stale_ci_tasks(tenant=tenant.schema_name) == 0  # idempotent across runs
    assert Task.objects.count() == 2
    page = client_for(tenant).get(task.get_desk_url()).content.decode()
    assert "No parent ticket: the desk raised this task on its own." in page


def test_a_finished_task_lets_the_next_scan_raise_a_new_one_and_time_moves_cis_into_staleness(estate, agent, tenant):
    staleness.raise_stale_tasks()
    with direct_writes("test set-up: the first task was done"):
        Task.objects.filter(title__contains="lnx-db-01").update(state="done")
    assert [t.title for t in staleness.raise_stale_tasks()] == ["Verify stale CI lnx-db-01: not seen for 45 days"]
    with time_machine.travel(timezone.now() + timedelta(days=40)):
        assert [t.title for t in staleness.raise_stale_tasks()] == ["Verify stale CI lnx-db-03: not seen for 42 days"]


def test_the_beat_job_fans_out_to_each_tenant_and_stays_in_its_schema(estate, tenant, other_tenant, in_other_tenant):
    stale_cis_all_tenants()
    assert Task.objects.count() == 2
    with in_other_tenant():
        assert not Task.objects.exists() and not AffectedCI.objects.exists()
    # A task whose schema argument disagrees with the connection refuses to run.
    with direct_writes("test set-up: start from no tasks"):
        Task.objects.all().delete()
    assert raise_stale_ci_tasks(tenant=other_tenant.schema_name) == 0 and not Task.objects.exists()


def test_the_stale_report_lists_live_unseen_cis_with_each_sighting(estate, tenant, agent, make_client):
    client = make_client(tenant, agent)
    page = client.get("/desk/cmdb/stale/").content.decode()
    assert "lnx-db-01" in page and "lnx-db-02" in page and "lnx-db-04" in page
    assert "lnx-db-03" not in page and "lnx-db-05" not in page and "SCCM:" in page
    assert page.index("lnx-db-02") < page.index("lnx-db-01")  # never seen first, then the oldest
    page = client.get("/desk/cmdb/stale/?days=1&sort=-last_seen").content.decode()
    assert page.index("lnx-db-03") < page.index("lnx-db-01")
    assert client.get("/desk/cmdb/stale/?days=0").status_code == 400


def test_the_scan_is_on_the_beat_schedule(settings):
    from celery import current_app

    entry = settings.CELERY_BEAT_SCHEDULE["cmdb-stale-cis"]
    assert entry["task"] == "cmdb.tasks.stale_cis_all_tenants" and entry["task"] in current_app.tasks
