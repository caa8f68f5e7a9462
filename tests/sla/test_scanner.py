"""The scanner fires each escalation once: repeated ticks, pauses, re-arming, failures mid-batch."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection

from incidents.services import transition_incident
from sla import actions, scanner
from sla.due.models import DueClock, PendingMail
from sla.models import Clock, Firing, Metric
from tests.factories import GroupFactory, make_incident
from tests.sla.test_clocks import HOUR, at, clock, hold, local, tick
from tickets.models import TimelineEntry

R = Metric.RESOLUTION


def escalations(incident):
    return list(TimelineEntry.objects.filter(ticket_type="incidents.incident", ticket_id=incident.pk,
                                             data__sla__event="escalation").values_list("data__sla__threshold", "data__sla__action"))


@pytest.fixture
def ladder(tenant, office, make_policy, agent):
    group = GroupFactory(manager=agent)
    group.members.add(agent)
    watcher = agent
    return make_policy(office, targets={(R, 5): 4 * HOUR}, escalations=[
        (R, 75, "notify_assignee"), (R, 90, "notify_group"), (R, 100, "raise_priority"),
        (R, 100, "notify_manager"), (R, 100, "add_watchers", {"users": [watcher]}),
        (R, 150, "reassign", {"group": group}),
    ]), group


def test_each_rule_fires_once_however_often_the_tick_runs(tenant, agent, ladder, django_capture_on_commit_callbacks):
    policy, group = ladder
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent, assignment_group=group, assignee=agent)

    def tick_in_public(moment):
        # As in a worker: the tick ends in the public schema and its after-commit mail runs there.
        with django_capture_on_commit_callbacks(execute=True), at(moment):
            scanner.tick()
        assert connection.schema_name == "public"
        connection.set_tenant(tenant)

    for minute in range(0, 8 * 60, 20):  # Monday 09:00 to 17:00 and Tuesday morning, every 20 minutes
        tick_in_public(local(2026, 11, 30, 9, 0) + timedelta(minutes=minute))
        tick_in_public(local(2026, 11, 30, 9, 0) + timedelta(minutes=minute))
    tick_in_public(local(2026, 12, 1, 11, 0))
    tick_in_public(local(2026, 12, 1, 11, 0))
    assert sorted(escalations(incident)) == [(75, "notify_assignee"), (90, "notify_group"), (100, "add_watchers"),
                                            (100, "notify_manager"), (100, "raise_priority"), (150, "reassign")]
    incident.refresh_from_db()
    assert incident.priority == 4  # raised once, from P5
    assert incident.assignment_group == group and incident.assignee is None
    assert list(incident.watchers.all()) == [agent]
    resolution = clock(incident)
    assert resolution.breached_at == local(2026, 11, 30, 13, 0)
    assert resolution.next_check_at is None  # nothing left to fire
    assert not DueClock.objects.filter(schema_name=tenant.schema_name, clock_id=resolution.pk).exists()
    # 75% assignee, 90% group (one member), 100% manager: one mail each, even with the ticks repeated.
    assert len([m for m in mail.outbox if "SLA" in m.subject]) == 3
    assert all(f.notified_at for f in Firing.objects.filter(action__startswith="notify"))
    assert not PendingMail.objects.exists()  # the outbox is emptied by the mail task


def test_firing_times_follow_the_thresholds(tenant, agent, ladder):
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent)
    tick(tenant, local(2026, 11, 30, 11, 59))  # 75% of 4h = 12:00
    assert escalations(incident) == []
    tick(tenant, local(2026, 11, 30, 12, 0))
    assert escalations(incident) == [(75, "notify_assignee")]
    assert DueClock.objects.get(clock_id=clock(incident).pk, schema_name=tenant.schema_name).due_at == local(2026, 11, 30, 12, 36)


def test_a_pause_after_a_warning_does_not_fire_it_again(tenant, agent, ladder):
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent)
    tick(tenant, local(2026, 11, 30, 12, 10))
    with at(local(2026, 11, 30, 12, 15)):
        incident = hold(incident, agent)
    assert not DueClock.objects.filter(clock_id=clock(incident).pk, schema_name=tenant.schema_name).exists()
    tick(tenant, local(2026, 11, 30, 16, 0))  # paused: nothing fires
    with at(local(2026, 11, 30, 16, 15)):
        transition_incident(incident, "resume", by=agent)
    tick(tenant, local(2026, 11, 30, 16, 20))
    assert escalations(incident) == [(75, "notify_assignee")]
    # 90% is now 4h of pause later than it was: 12:36 + 4h = 16:36.
    assert clock(incident).next_check_at == local(2026, 11, 30, 16, 36)
    tick(tenant, local(2026, 11, 30, 16, 40))
    assert escalations(incident) == [(75, "notify_assignee"), (90, "notify_group")]


def test_a_failure_mid_batch_loses_nothing_and_fires_nothing_twice(tenant, agent, ladder, monkeypatch):
    with at(local(2026, 11, 30, 9, 0)):
        healthy, poisoned = make_incident(by=agent, title="healthy"), make_incident(by=agent, title="poisoned")
    real_perform = actions.perform

    def perform(rule, firing, clock_, ticket):
        result = real_perform(rule, firing, clock_, ticket)
        if ticket.title == "poisoned":
            raise RuntimeError("worker died half-way")
        return result

    monkeypatch.setattr(actions, "perform", perform)
    tick(tenant, local(2026, 11, 30, 12, 5))
    assert escalations(healthy) == [(75, "notify_assignee")]
    assert escalations(poisoned) == []  # its firing and timeline entry were rolled back together
    assert not clock(poisoned).firings.exists()
    retry = DueClock.objects.get(clock_id=clock(poisoned).pk, schema_name=tenant.schema_name)
    assert retry.due_at == local(2026, 11, 30, 12, 5) + scanner.RETRY_DELAY
    monkeypatch.setattr(actions, "perform", real_perform)
    tick(tenant, local(2026, 11, 30, 12, 11))
    assert escalations(poisoned) == [(75, "notify_assignee")]
    assert escalations(healthy) == [(75, "notify_assignee")]


def test_orphaned_due_rows_are_dropped(tenant, agent):
    DueClock.objects.create(schema_name="no_such_tenant", clock_id=1, due_at=local(2026, 1, 1, 0, 0))
    DueClock.objects.create(schema_name=tenant.schema_name, clock_id=987654321, due_at=local(2026, 1, 1, 0, 0))
    tick(tenant, local(2026, 11, 30, 12, 0))
    assert not DueClock.objects.filter(clock_id__in=[1, 987654321]).exists()


def test_tick_with_nothing_due_costs_one_query(tenant, django_assert_num_queries):
    # The lost-mail probe (SET search_path; in a savepoint here: SAVEPOINT, SELECT, RELEASE; outside
    # tests BEGIN/COMMIT are not captured), then the due probe (SET search_path again, SELECT).
    with django_assert_num_queries(6):
        with at(local(2026, 11, 30, 12, 0)):
            scanner.tick()
    connection.set_tenant(tenant)


def test_tenants_never_see_each_others_clocks(tenant, agent, ladder, other_tenant, in_other_tenant):
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent)
    alpha_clock = clock(incident)
    with in_other_tenant():
        assert not Clock.objects.filter(pk=alpha_clock.pk).exists()
        assert not Firing.objects.exists()
    tick(tenant, local(2026, 11, 30, 12, 5))
    # The firing and its timeline entry live in alpha's schema only.
    assert clock(incident).firings.count() == 1
    with in_other_tenant():
        assert not Firing.objects.exists()
        assert not TimelineEntry.objects.filter(data__sla__event="escalation").exists()


def test_new_escalation_rules_reach_running_clocks_at_the_next_tick(tenant, agent, office, make_policy):
    from sla import configuration
    from tests.factories import AdminFactory

    policy = make_policy(office, targets={(R, 5): 4 * HOUR})
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent)
    assert clock(incident).next_check_at == local(2026, 11, 30, 13, 0)  # only the breach to watch
    fields = configuration.policy_fields(policy)
    fields["escalations"] = [{"metric": R, "threshold": 50, "action": "notify_assignee"}]
    with at(local(2026, 11, 30, 10, 0)):
        configuration.save_policy(by=AdminFactory(), policy=policy, **fields)
    due = DueClock.objects.get(clock_id=clock(incident).pk, schema_name=tenant.schema_name)
    assert due.due_at == local(2026, 11, 30, 10, 0)
    tick(tenant, local(2026, 11, 30, 10, 0, 5))
    assert clock(incident).next_check_at == local(2026, 11, 30, 11, 0)
    tick(tenant, local(2026, 11, 30, 11, 0))
    assert escalations(incident) == [(50, "notify_assignee")]


def test_one_tick_serves_every_tenant_one_transaction_per_tenant_chunk(tenant, agent, ladder, other_tenant,
                                                                        in_other_tenant, make_policy,
                                                                        django_capture_on_commit_callbacks):
    from tests.factories import AgentFactory
    from tests.sla.conftest import office_hours

    with at(local(2026, 11, 30, 9, 0)):
        ours = [make_incident(by=agent) for _ in range(3)]
        with in_other_tenant():
            beta_agent = AgentFactory()
            make_policy(office_hours(), targets={(R, 5): 4 * HOUR}, escalations=[(R, 75, "notify_assignee")])
            theirs = make_incident(by=beta_agent, assignee=beta_agent)
    with django_capture_on_commit_callbacks(execute=True), at(local(2026, 11, 30, 12, 5)):
        processed = scanner.tick(chunk_size=1)
    connection.set_tenant(tenant)
    assert processed == 4
    assert all(escalations(incident) == [(75, "notify_assignee")] for incident in ours)
    with in_other_tenant():
        assert escalations(theirs) == [(75, "notify_assignee")]
        assert Firing.objects.get().notified_at is not None  # mailed from beta's schema
    assert [m.to for m in mail.outbox if "SLA" in m.subject] == [[beta_agent.email]]


def test_an_escalation_mail_whose_task_was_lost_is_sent_by_a_later_tick(tenant, agent, ladder,
                                                                        django_capture_on_commit_callbacks):
    policy, group = ladder
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent, assignment_group=group, assignee=agent)
    tick(tenant, local(2026, 11, 30, 12, 5))  # the after-commit enqueue never runs: the worker "died"
    assert escalations(incident) == [(75, "notify_assignee")]
    assert not [m for m in mail.outbox if "SLA" in m.subject]
    [pending] = PendingMail.objects.filter(schema_name=tenant.schema_name)
    assert pending.due_at == local(2026, 11, 30, 12, 10)

    def tick_in_public(moment):
        with django_capture_on_commit_callbacks(execute=True), at(moment):
            scanner.tick()
        connection.set_tenant(tenant)

    tick_in_public(local(2026, 11, 30, 12, 9))  # not yet: the task may only be late
    assert not [m for m in mail.outbox if "SLA" in m.subject]
    tick_in_public(local(2026, 11, 30, 12, 10))
    tick_in_public(local(2026, 11, 30, 12, 20))
    assert [m.to for m in mail.outbox if "SLA" in m.subject] == [[agent.email]]
    assert not PendingMail.objects.exists()
    assert Firing.objects.get(clock__ticket_id=incident.pk).notified_at is not None


def test_the_mail_task_refuses_to_run_in_another_tenant(tenant, agent, ladder, other_tenant, in_other_tenant):
    from sla.tasks import send_escalation_notifications

    policy, group = ladder
    with at(local(2026, 11, 30, 9, 0)):
        incident = make_incident(by=agent, assignment_group=group, assignee=agent)
    tick(tenant, local(2026, 11, 30, 12, 5))
    firing = Firing.objects.get(clock__ticket_id=incident.pk)
    with in_other_tenant():  # a task stamped for alpha but run in beta's schema
        assert send_escalation_notifications.run([firing.pk], tenant=tenant.schema_name) == 0
    assert not [m for m in mail.outbox if "SLA" in m.subject]
    firing.refresh_from_db()
    assert firing.notified_at is None  # left for alpha's own task or the resend


def test_pending_mail_of_a_deleted_tenant_is_dropped(tenant):
    PendingMail.objects.create(schema_name="no_such_tenant", firing_id=1, due_at=local(2026, 1, 1, 0, 0))
    tick(tenant, local(2026, 11, 30, 12, 0))
    assert not PendingMail.objects.filter(schema_name="no_such_tenant").exists()
