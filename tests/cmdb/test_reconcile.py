"""Identification rules in priority order, conflicts and ambiguity (cmdb.reconcile through imports)."""

import pytest

from cmdb import queries, services
from cmdb.models import CI, CIClass, CMDBSettings
from tests.cmdb.importing import run_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def linux(tenant):
    return CIClass.objects.get(key="linux_server")


def _rules(*rules):
    row = queries.settings()
    row.identification_rules = list(rules)
    row.save()


def test_each_rule_matches_its_identifier(agent, linux, django_capture_on_commit_callbacks):
    by_serial = services.create_ci(by=agent, name="a", ci_class=linux, serial_number="SN-1")
    by_fqdn = services.create_ci(by=agent, name="b", ci_class=linux, fqdn="b.example.com")
    by_cloud = services.create_ci(by=agent, name="c", ci_class=linux, cloud_id="i-0abc")
    by_name = services.create_ci(by=agent, name="D-Host", ci_class=linux)
    job = run_csv(agent, "class,name,serial_number,fqdn,cloud_id,description\n"
                         "linux_server,a2,SN-1,,,by serial\n"
                         "Linux server,b2,,B.Example.com.,,by fqdn\n"
                         "linux_server,c2,,,i-0abc,by cloud\n"
                         "linux_server,d-host,,,,by name\n",
                  capture=django_capture_on_commit_callbacks)
    assert (job.status, job.updated, job.inserted, job.rejected) == ("done", 4, 0, 0)
    for ci, text in ((by_serial, "by serial"), (by_fqdn, "by fqdn"), (by_cloud, "by cloud"), (by_name, "by name")):
        ci.refresh_from_db()
        assert ci.description == text
    assert CI.objects.count() == 4


def test_priority_order_decides_and_a_unique_identifier_elsewhere_conflicts(agent, linux,
                                                                             django_capture_on_commit_callbacks):
    with_serial = services.create_ci(by=agent, name="old-name", ci_class=linux, serial_number="SN-9")
    services.create_ci(by=agent, name="web-01", ci_class=linux)
    row = "class,name,serial_number,description\nlinux_server,web-01,SN-9,x\n"
    _rules(CMDBSettings.SERIAL, CMDBSettings.NAME_CLASS)
    job = run_csv(agent, row, capture=django_capture_on_commit_callbacks)
    with_serial.refresh_from_db()
    assert job.updated == 1 and with_serial.name == "web-01"  # serial decides; the row renames the CI

    _rules(CMDBSettings.NAME_CLASS, CMDBSettings.SERIAL)
    services.create_ci(by=agent, name="db-01", ci_class=linux)
    job = run_csv(agent, "class,name,serial_number\nlinux_server,db-01,SN-9\n", capture=django_capture_on_commit_callbacks)
    assert job.rejected == 1
    message = job.rejections.get().errors["identifiers"][0]
    assert message.startswith("Conflicting identifiers: name + class db-01 / Linux Server is CI db-01")
    assert f"serial SN-9 is CI web-01 (#{with_serial.pk})" in message


def test_conflicting_serial_and_fqdn_rejected_naming_both(agent, linux, django_capture_on_commit_callbacks):
    a = services.create_ci(by=agent, name="a", ci_class=linux, serial_number="SN-A")
    b = services.create_ci(by=agent, name="b", ci_class=linux, fqdn="b.example.com")
    job = run_csv(agent, "class,name,serial_number,fqdn\nlinux_server,z,SN-A,b.example.com\n",
                  capture=django_capture_on_commit_callbacks)
    rejection = job.rejections.get()
    assert rejection.errors == {"identifiers": [
        f"Conflicting identifiers: serial SN-A is CI a (#{a.pk}), FQDN b.example.com is CI b (#{b.pk})."]}
    assert a.history.count() == 1 and b.history.count() == 1 and not a.sightings.exists()


def test_ambiguous_name_and_class_rejected_unless_a_stronger_rule_decides(agent, linux,
                                                                           django_capture_on_commit_callbacks):
    first = services.create_ci(by=agent, name="app", ci_class=linux, serial_number="SN-1")
    services.create_ci(by=agent, name="APP", ci_class=linux)
    job = run_csv(agent, "class,name,serial_number,description\nlinux_server,app,,one\nlinux_server,app,SN-1,two\n",
                  capture=django_capture_on_commit_callbacks)
    assert (job.rejected, job.updated) == (1, 1)
    assert "Ambiguous: name + class app / Linux Server matches 2 CIs" in job.rejections.get().errors["name"][0]
    first.refresh_from_db()
    assert first.description == "two"


def test_a_rule_left_out_is_not_used(agent, linux, django_capture_on_commit_callbacks):
    services.create_ci(by=agent, name="n1", ci_class=linux)
    _rules(CMDBSettings.SERIAL)
    job = run_csv(agent, "class,name\nlinux_server,n1\n", capture=django_capture_on_commit_callbacks)
    assert job.inserted == 1 and CI.objects.filter(name="n1").count() == 2
