"""Imports: the file checked whole, rows rejected one by one with reasons, re-runs idempotent."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb import imports, services
from cmdb.models import CI, CIClass, CIHistory, ImportJob, Sighting
from core.exceptions import ValidationFailed
from tests.cmdb.importing import csv_file, run_csv

pytestmark = pytest.mark.django_db

HEADER = "class,name,serial_number,fqdn,ip_addresses,support_group,owner,criticality,attr.cpu_cores\n"


def _start(agent, upload, **kwargs):
    return imports.start_import(by=agent, source=kwargs.pop("source", "SCCM"), format=kwargs.pop("format", ""),
                                filename=upload.name, fileobj=upload)


def test_rows_insert_update_and_stay_unchanged_with_history_and_sightings(agent, group,
                                                                         django_capture_on_commit_callbacks):
    linux = CIClass.objects.get(key="linux_server")
    existing = services.create_ci(by=agent, name="db-01", ci_class=linux, serial_number="SN-1",
                                  attributes={"cpu_cores": 4, "distribution": "Debian"})
    text = (HEADER + f"linux_server,db-01,SN-1,db01.example.com,10.0.0.1; 10.0.0.2,{group.name},{agent.email},critical,8\n"
            "linux_server,web-01,SN-2,,,,,,2\n")
    job = run_csv(agent, text, capture=django_capture_on_commit_callbacks, bom=True)
    assert (job.status, job.total_rows, job.processed_rows, job.inserted, job.updated, job.unchanged, job.rejected) \
        == ("done", 2, 2, 1, 1, 0, 0)
    existing.refresh_from_db()
    # Only what the row names changes: distribution is kept, cpu_cores merged in.
    assert existing.attributes == {"cpu_cores": 8, "distribution": "Debian"}
    assert (existing.fqdn, existing.ip_addresses, existing.support_group, existing.owner_user, existing.criticality) \
        == ("db01.example.com", ["10.0.0.1", "10.0.0.2"], group, agent, CI.Criticality.CRITICAL)
    entry = existing.history.latest("id")
    assert entry.source == "SCCM" and entry.author == agent
    assert {change["field"] for change in entry.data["changes"]} == {
        "fqdn", "ip_addresses", "support_group", "owner_user", "criticality", "attributes.cpu_cores"}
    created = CI.objects.get(name="web-01")
    assert created.history.get().kind == CIHistory.Kind.CREATED and created.history.get().source == "SCCM"
    first_seen = existing.last_seen_at
    assert Sighting.objects.get(ci=existing, source="SCCM").last_seen == first_seen

    history_before = CIHistory.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        imports.run_again(job, by=agent)
    job.refresh_from_db()
    assert (job.inserted, job.updated, job.unchanged, job.rejected) == (0, 0, 2, 0)
    assert CIHistory.objects.count() == history_before  # unchanged rows write no history ...
    existing.refresh_from_db()
    assert existing.last_seen_at > first_seen  # ... but are stamped as seen
    assert Sighting.objects.get(ci=existing, source="SCCM").last_seen == existing.last_seen_at


def test_bad_rows_rejected_with_reasons_and_the_rest_imported(agent, django_capture_on_commit_callbacks):
    text = (HEADER
            + "linux_server,ok-1,,,,,,,\n"
            + "spaceship,bad-class,,,,,,,\n"
            + "linux_server,bad-attr,,,,,,,eight\n"
            + "linux_server,bad-ip,SN-X,,10.0.0.999,Nobody,nobody@example.com,extreme,\n"
            + "linux_server,ragged\n"
            + "linux_server,ok-2,,,,,,,\n")
    job = run_csv(agent, text, capture=django_capture_on_commit_callbacks)
    assert (job.inserted, job.rejected, job.processed_rows) == (2, 4, 6)
    reasons = {r.row_number: r.errors for r in job.rejections.all()}
    assert reasons[2] == {"class": ["No CI class “spaceship” (give a class key or name)."]}
    assert reasons[3] == {"attributes.cpu_cores": ["Enter a whole number."]}
    assert set(reasons[4]) == {"ip_addresses", "support_group", "owner", "criticality"}
    assert reasons[5] == {"row": ["The row has 2 cells; the header has 9."]}
    assert job.rejections.get(row_number=2).data["name"] == "bad-class"
    assert not CI.objects.filter(name__startswith="bad").exists()
    assert not CI.objects.filter(serial_number="SN-X").exists()


def test_a_row_the_checks_cannot_foresee_falls_back_to_one_by_one(agent, django_capture_on_commit_callbacks,
                                                                   monkeypatch):
    from django.db import IntegrityError

    from cmdb import bulk

    def broken(*args, **kwargs):
        raise IntegrityError("simulated clash")

    monkeypatch.setattr(bulk, "insert_cis", broken)
    services.create_ci(by=agent, name="taken", ci_class=CIClass.objects.get(key="linux_server"), fqdn="t.example.com")
    job = run_csv(agent, "class,name,fqdn\nlinux_server,n1,n1.example.com\nlinux_server,n2,T.example.com\n"
                         "linux_server,n3,n1.example.com\n", capture=django_capture_on_commit_callbacks)
    # One by one: n2's FQDN is taken's (renamed), n3 names n1's FQDN: updated after n1 was written.
    assert (job.inserted, job.updated, job.rejected) == (1, 2, 0)
    assert CI.objects.get(fqdn="n1.example.com").name == "n3" and CI.objects.get(fqdn="t.example.com").name == "n2"
    assert CI.objects.get(name="n3").history.count() == 2


def test_json_rows_with_attributes_object(agent, django_capture_on_commit_callbacks):
    rows = [{"class": "linux_server", "name": "j1", "attributes": {"cpu_cores": 2}, "ip_addresses": ["10.1.1.1"]},
            {"class": "linux_server", "name": "j2", "attributes": {"cpu_cores": "2"}},
            "not an object"]
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.start_rows_import(by=agent, source="api", rows=rows)
    job.refresh_from_db()
    assert (job.inserted, job.rejected) == (1, 2)
    assert CI.objects.get(name="j1").attributes == {"cpu_cores": 2}
    assert job.rejections.get(row_number=2).errors == {"attributes.cpu_cores": ["Enter a whole number."]}
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.start_rows_import(by=agent, source="api", rows=[
            {"class": "linux_server", "name": "j1", "attributes": {"cpu_cores": "4"}},
            {"class": "linux_server", "name": "j1", "attributes": {"distribution": "Debian"}}])
    job.refresh_from_db()
    # Updates are typed as strictly as inserts; a valid one merges with what is stored.
    assert (job.rejected, job.updated) == (1, 1)
    assert CI.objects.get(name="j1").attributes == {"cpu_cores": 2, "distribution": "Debian"}


@pytest.mark.parametrize("content, expected", [
    ("class,name\nlinux_server,caf\xe9\n".encode("latin-1"), "it is not UTF-8 text (byte 0xe9 cannot be read)"),
    (b"name,description\nx,y\n", "the header has no class column"),
    (b"class,name,colour,attr.\nx,y,z,w\n", "unknown columns: colour, attr."),
    (b"class,name,name\nx,y,z\n", "the column name appear"),
    (b"", "it is empty"),
    (b"class,name\n", "it has a header but no rows"),
    (b'class,name\n"unterminated,x\n', "it is not valid CSV"),
])
def test_malformed_csv_refused_whole_storing_nothing(agent, content, expected):
    upload = csv_file("", name="bad.csv")
    upload.file = io.BytesIO(content)
    upload.size = len(content)
    with pytest.raises(ValidationFailed) as caught:
        _start(agent, upload)
    assert expected in caught.value.fields["file"][0]
    assert not ImportJob.objects.exists()


def test_oversized_file_refused_before_a_byte_is_read(agent, settings):
    class Huge:
        name = "huge.csv"
        size = 200 * 1024 * 1024

        def read(self, *args):
            raise AssertionError("the file was read")

        seek = read

    with pytest.raises(ValidationFailed) as caught:
        imports.start_import(by=agent, source="SCCM", format="", filename="huge.csv", fileobj=Huge())
    assert caught.value.fields["file"] == ["it is 200.0 MB; the limit is 50.0 MB. Split it into smaller files."]


def test_too_many_rows_refused(agent, settings):
    settings.CMDB_IMPORT_MAX_ROWS = 2
    with pytest.raises(ValidationFailed) as caught:
        _start(agent, csv_file("class,name\na,1\na,2\na,3\n"))
    assert "more than 2 rows" in caught.value.fields["file"][0]


def test_source_format_and_role_are_checked(agent, requester):
    from core.exceptions import NotPermitted

    with pytest.raises(ValidationFailed) as caught:
        _start(agent, csv_file("class,name\na,1\n", name="cis.txt"), source=" ")
    with pytest.raises(NotPermitted):
        _start(requester, csv_file("class,name\na,1\n"))
    with pytest.raises(ValidationFailed) as caught:
        _start(agent, csv_file("class,name\na,1\n", name="cis.txt"))
    assert "choose the format" in caught.value.fields["format"][0]


def test_a_file_that_went_bad_marks_the_job_failed(agent, django_capture_on_commit_callbacks):
    job = run_csv(agent, "class,name\nlinux_server,x\n", capture=django_capture_on_commit_callbacks)
    with job.file.storage.open(job.file.name, "wb") as handle:
        handle.write(b"\xff\xfe")
    imports.run(job)
    job.refresh_from_db()
    assert job.status == "failed" and "not UTF-8" in job.error


def test_matching_is_batched_per_chunk(agent, django_capture_on_commit_callbacks):
    linux = CIClass.objects.get(key="linux_server")
    for index in range(20):
        services.create_ci(by=agent, name=f"h{index}", ci_class=linux, serial_number=f"S{index}")
    text = "class,name,serial_number,description\n" + "".join(
        f"linux_server,h{index},S{index},changed\n" for index in range(20)) + "".join(
        f"linux_server,new{index},N{index},\n" for index in range(20))
    upload = csv_file(text)
    with django_capture_on_commit_callbacks(execute=False):
        job = _start(agent, upload)
    with CaptureQueriesContext(connection) as queries:
        imports.run(job)
    job.refresh_from_db()
    assert (job.updated, job.inserted) == (20, 20)
    # Constant in the number of rows: the settings, lookups, one candidate query, a few bulk writes.
    assert len(queries) < 30, [q["sql"][:80] for q in queries.captured_queries]


def test_job_file_is_stored_under_the_tenants_path(agent, tenant, django_capture_on_commit_callbacks):
    job = run_csv(agent, "class,name\nlinux_server,x\n", capture=django_capture_on_commit_callbacks)
    assert job.file.name.startswith(f"tenants/{tenant.schema_name}/cmdb-imports/")
    assert job.file.read() == b"class,name\nlinux_server,x\n"


def test_the_task_runs_only_in_its_jobs_schema(agent, other_tenant, django_capture_on_commit_callbacks):
    from cmdb.tasks import run_import

    with django_capture_on_commit_callbacks(execute=False):
        job = _start(agent, csv_file("class,name\nlinux_server,only-here\n"))
    run_import(other_tenant.schema_name, job.pk)  # the headers say alpha, the argument beta: refused
    job.refresh_from_db()
    assert job.status == "queued" and not CI.objects.filter(name="only-here").exists()
    run_import("alpha", job.pk)
    job.refresh_from_db()
    assert job.status == "done" and CI.objects.filter(name="only-here").exists()


def test_a_large_import_refreshes_the_ci_tables_statistics_as_it_grows(agent, monkeypatch,
                                                                       django_capture_on_commit_callbacks):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    text = "class,name\n" + "".join(f"linux_server,g{index}\n" for index in range(30))
    with django_capture_on_commit_callbacks(execute=False):
        job = _start(agent, csv_file(text))
    with CaptureQueriesContext(connection) as queries:
        imports.run(job)
    analyses = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    # At 10, 20 and 30 new CIs: each time at least 5 chunks' worth and half the table again, not per chunk (15).
    assert analyses == ["ANALYZE cmdb_ci"] * 3 and CI.objects.count() == 30
