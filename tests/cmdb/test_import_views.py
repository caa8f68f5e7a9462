"""Desk pages of imports: upload, the polling progress, the report, run again, settings, isolation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cmdb import imports, queries
from cmdb.models import CI, CMDBSettings, ImportJob
from tests.cmdb.importing import csv_file

pytestmark = pytest.mark.django_db


def _queued(agent, text="class,name\nlinux_server,v1\nnope,v2\n"):
    upload = csv_file(text)
    return imports.start_import(by=agent, source="SCCM", format="", filename=upload.name, fileobj=upload)


def test_upload_runs_and_the_report_shows_rejections(tenant, agent, make_client, django_capture_on_commit_callbacks):
    client = make_client(tenant, agent)
    assert client.get("/desk/cmdb/imports/new/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/desk/cmdb/imports/new/", {"file": csv_file("class,name\nlinux_server,v1\nnope,v2\n"),
                                                           "source": "SCCM", "format": ""})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/desk/cmdb/imports/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "2 of 2 rows" in page and 'hx-trigger="every 1s"' not in page  # done: no polling
    assert "No CI class “nope”" in page and "Run again" in page and '<th scope="row">Line 3</th>' in page  # the header is line 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/desk/cmdb/imports/{job.pk}/run-again/")
    job.refresh_from_db()
    assert (job.unchanged, job.rejected) == (1, 1)
    assert "SCCM" in client.get("/desk/cmdb/imports/").content.decode()


def test_a_running_job_polls_every_second_with_an_accessible_progress_bar(tenant, agent, make_client):
    job = _queued(agent)  # not committed: the task has not run
    ImportJob.objects.filter(pk=job.pk).update(status="running", total_rows=5000, processed_rows=1234)
    client = make_client(tenant, agent)
    page = client.get(f"/desk/cmdb/imports/{job.pk}/").content.decode()
    assert f'hx-get="/desk/cmdb/imports/{job.pk}/" hx-trigger="every 1s"' in page
    assert '<progress id="import-progress" value="1234" max="5000"' in page and "1,234 of 5,000 rows" in page
    partial = client.get(f"/desk/cmdb/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="import-job"')
    assert "<html" not in partial and "1,234 of 5,000 rows" in partial
    ImportJob.objects.filter(pk=job.pk).update(status="done", processed_rows=5000)
    partial = client.get(f"/desk/cmdb/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial and "5,000 of 5,000 rows" in partial


def test_bad_uploads_are_form_errors(tenant, agent, make_client, settings):
    client = make_client(tenant, agent)
    response = client.post("/desk/cmdb/imports/new/", {"file": csv_file("name\nx\n"), "source": "S"})
    assert response.status_code == 400 and "the header has no class column" in response.content.decode()
    settings.CMDB_IMPORT_MAX_BYTES = 10
    response = client.post("/desk/cmdb/imports/new/", {"file": csv_file("class,name\nlinux_server,x\n"), "source": "S"},
                           CONTENT_LENGTH=str(200 * 1024 * 1024))
    assert response.status_code == 400 and "it is 200.0 MB; the limit is 10 bytes" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_identification_settings_for_admins_only(tenant, agent, make_client):
    from tests.factories import AdminFactory

    assert make_client(tenant, agent).get("/desk/settings/cmdb/identification/").status_code == 403
    client = make_client(tenant, AdminFactory())
    assert client.get("/desk/settings/cmdb/identification/").status_code == 200
    response = client.post("/desk/settings/cmdb/identification/", {
        "rule_1": "fqdn", "rule_2": "serial_number", "rule_3": "", "rule_4": "", "stale_after_days": "45"})
    assert response.status_code == 302
    row = queries.settings()
    assert (row.identification_rules, row.stale_after_days) == (["fqdn", "serial_number"], 45)
    response = client.post("/desk/settings/cmdb/identification/", {
        "rule_1": "fqdn", "rule_2": "fqdn", "stale_after_days": "0"})
    assert response.status_code == 400
    assert queries.settings().identification_rules == ["fqdn", "serial_number"]


def test_requesters_get_403_on_every_page(tenant, requester, agent, make_client):
    job = _queued(agent)
    client = make_client(tenant, requester)
    for url in ("/desk/cmdb/imports/", "/desk/cmdb/imports/new/", f"/desk/cmdb/imports/{job.pk}/", "/desk/cmdb/stale/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/desk/cmdb/imports/{job.pk}/run-again/").status_code == 403


def test_another_tenant_sees_none_of_the_jobs_reports_or_stale_cis(tenant, agent, make_client, other_tenant,
                                                                  in_other_tenant, django_capture_on_commit_callbacks):
    from cmdb import services
    from cmdb.models import CIClass
    from tests.factories import AgentFactory

    with django_capture_on_commit_callbacks(execute=True):
        job = _queued(agent, "class,name\nlinux_server,alpha-secret\nnope,alpha-rejected\n")
    services.create_ci(by=agent, name="alpha-stale", ci_class=CIClass.objects.get(key="linux_server"))
    with in_other_tenant():
        client = make_client(other_tenant, AgentFactory())
    assert client.get(f"/desk/cmdb/imports/{job.pk}/").status_code == 404
    assert client.post(f"/desk/cmdb/imports/{job.pk}/run-again/").status_code == 404
    for url in ("/desk/cmdb/imports/", "/desk/cmdb/stale/"):
        body = client.get(url).content.decode()
        assert "alpha-" not in body and job.filename not in body, url
    # The file itself lives under alpha's path, which beta's storage never names.
    assert job.file.name.startswith("tenants/alpha/")


def test_a_rejection_is_named_as_in_its_file():
    """CSV: the file's line (the header is line 1) and column names; JSON: the item's number; empty cells left out."""
    from cmdb.models import ImportRejection
    from cmdb.views_imports import _as_in_the_file

    rejection = ImportRejection(row_number=4, errors={"attributes.cpu_cores": ["Enter a whole number."], "class": ["x"]},
                                data={"name": "db1", "attr.cpu_cores": "lots", "fqdn": ""})
    shown = _as_in_the_file(ImportJob(format="csv"), rejection)
    assert shown == {"where": "Line 5", "errors": [("attr.cpu_cores", "Enter a whole number."), ("class", "x")],
                     "data": [("name", "db1"), ("attr.cpu_cores", "lots")]}
    shown = _as_in_the_file(ImportJob(format="json"), rejection)
    assert shown["where"] == "Item 4" and shown["errors"][0] == ("attributes.cpu_cores", "Enter a whole number.")
