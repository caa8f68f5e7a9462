import datetime

import pytest
from django.utils import timezone

from assets import contracts, tasks
from assets.models import Contract
from core.exceptions import ValidationFailed
from tests.factories import AdminFactory

TODAY = timezone.localdate()


def days(n):
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def make_contract(agent):
    def factory(**fields):
        fields = {"kind": Contract.Kind.SUPPORT, "number": "SUP-1", "vendor": "Dell", "starts_on": days(-300),
                  "ends_on": days(65), "renewal_notice_days": 60, **fields}
        return contracts.create_contract(by=agent, **fields)

    return factory


@pytest.mark.django_db
def test_contract_validation(tenant, agent, make_asset, make_contract):
    laptop = make_asset()
    contract = make_contract(assets=[laptop])
    assert list(contract.assets.all()) == [laptop]
    with pytest.raises(ValidationFailed) as caught:
        make_contract(number="SUP-2", starts_on=days(10), ends_on=days(5), cost=-5)
    assert set(caught.value.fields) == {"ends_on", "cost"}
    with pytest.raises(ValidationFailed) as caught:
        make_contract(number="SUP-1")
    assert "number" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        make_contract(number="SUP-3", assets=[laptop.pk, 999999, "x"])
    assert caught.value.fields["assets"] == ["Unknown assets: 999999, x."]
    with pytest.raises(ValidationFailed) as caught:  # same vendor, kind and asset, overlapping period
        make_contract(number="SUP-4", starts_on=days(30), ends_on=days(400), assets=[laptop])
    assert "SUP-1" in caught.value.fields["assets"][0]
    make_contract(number="SUP-5", starts_on=days(66), ends_on=days(400), assets=[laptop])  # the renewal: no overlap
    make_contract(number="W-1", kind=Contract.Kind.WARRANTY, assets=[laptop])  # another kind may overlap
    with pytest.raises(ValidationFailed):
        make_contract(number="SUP-6", colour="red")
    assert Contract.objects.count() == 3


@pytest.mark.django_db
def test_reminder_once_per_end_date_and_rearmed_by_a_new_one(tenant, agent, make_contract, make_asset, mailoutbox):
    owner = agent
    due = make_contract(owner=owner, ends_on=days(20), renewal_notice_days=30, assets=[make_asset()])
    make_contract(number="SUP-LATER", ends_on=days(45), renewal_notice_days=30)  # window opens in 15 days
    make_contract(number="SUP-OVER", starts_on=days(-400), ends_on=days(-1), renewal_notice_days=30)  # ended
    assert tasks.send_contract_reminders(tenant=tenant.schema_name) == 1
    assert tasks.send_contract_reminders(tenant=tenant.schema_name) == 0
    assert [m.to for m in mailoutbox] == [[owner.email]]
    assert "SUP-1" in mailoutbox[0].subject and "AST-000001" in mailoutbox[0].body
    assert "in 20 days" in mailoutbox[0].body
    contracts.update_contract(due, by=agent, notes="renewal under discussion")  # same end date: still reminded
    assert tasks.send_contract_reminders(tenant=tenant.schema_name) == 0
    contracts.update_contract(due, by=agent, ends_on=days(25))
    assert Contract.objects.get(pk=due.pk).reminded_for is None
    assert tasks.send_contract_reminders(tenant=tenant.schema_name) == 1
    assert Contract.objects.get(pk=due.pk).reminded_for == days(25)


@pytest.mark.django_db
def test_without_an_owner_the_tenant_admins_are_mailed(tenant, make_contract, mailoutbox):
    admin = AdminFactory()
    make_contract(ends_on=days(3), renewal_notice_days=5)
    tasks.send_contract_reminders(tenant=tenant.schema_name)
    assert admin.email in mailoutbox[0].to and "admin@alpha.test" in mailoutbox[0].to


@pytest.mark.django_db
def test_reminders_stay_in_their_tenant(tenant, make_contract, in_other_tenant, mailoutbox):
    make_contract(ends_on=days(3))
    assert tasks.send_contract_reminders(tenant="beta") == 0  # the schema is alpha's: refused
    with in_other_tenant():
        assert tasks.send_contract_reminders(tenant="beta") == 0
        assert not Contract.objects.exists()
    assert mailoutbox == []
    assert tasks.send_contract_reminders(tenant=tenant.schema_name) == 1
    assert all("beta" not in address for address in mailoutbox[0].to)


@pytest.mark.django_db
def test_beat_fans_out_one_task_per_tenant_in_its_own_schema(tenant, monkeypatch, settings):
    from django.db import connection

    assert settings.CELERY_BEAT_SCHEDULE["contract-renewal-reminders"]["task"] == \
        "assets.tasks.contract_reminders_all_tenants"
    calls = []
    monkeypatch.setattr(tasks.send_contract_reminders, "delay",
                        lambda *, tenant: calls.append((tenant, connection.schema_name)))
    tasks.contract_reminders_all_tenants()
    assert ("alpha", "alpha") in calls and ("beta", "beta") in calls
    assert all(schema == name for name, schema in calls)
