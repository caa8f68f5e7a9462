"""/api/v1/cmdb/imports/: 202 with the job, polling, rejections paged; refusals and isolation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cmdb.models import CI, ImportJob
from tests.api.helpers import api_client, back_to, error_of

pytestmark = pytest.mark.django_db
URL = "/api/v1/cmdb/imports/"


def _upload(text: bytes, name="cis.csv"):
    return SimpleUploadedFile(name, text, content_type="text/csv")


def test_multipart_upload_runs_and_is_polled(tenant, agent, django_capture_on_commit_callbacks):
    client = api_client(tenant, agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"file": _upload(b"class,name\nlinux_server,api-1\nnope,api-2\n"),
                                     "source": "Discovery"}, format="multipart")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["total_rows"], body["source"]) == ("queued", 2, "Discovery")
    job = client.get(f"{URL}{body['id']}/").json()
    assert (job["status"], job["progress"], job["inserted"], job["rejected"]) == ("done", 100, 1, 1)
    page = client.get(f"{URL}{body['id']}/rejections/?page_size=1").json()
    assert page["results"] == [{"id": page["results"][0]["id"], "row_number": 2,
                                "errors": {"class": ["No CI class “nope” (give a class key or name)."]},
                                "data": {"class": "nope", "name": "api-2"}}]
    assert client.get(URL).json()["results"][0]["id"] == body["id"]


def test_json_rows_body_for_integrators(tenant, agent, django_capture_on_commit_callbacks):
    client = api_client(tenant, agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"source": "CloudSync", "rows": [
            {"class": "linux_server", "name": "vm-1", "cloud_id": "i-1", "attributes": {"cpu_cores": 2}}]})
    assert response.status_code == 202
    assert CI.objects.get(cloud_id="i-1").sightings.get().source == "CloudSync"


def test_bad_input_is_a_400_with_field_errors_and_no_job(tenant, agent, settings):
    client = api_client(tenant, agent)
    response = client.post(URL, {"file": _upload(b"name,colour\nx,red\n"), "source": "S"}, format="multipart")
    assert response.status_code == 400
    assert "file" in error_of(response)["fields"]
    response = client.post(URL, {"source": "S", "rows": [], "extra": 1})
    assert set(error_of(response)["fields"]) == {"extra"}
    response = client.post(URL, {"source": "", "rows": [{"class": "x", "name": "y"}]})
    assert "source" in error_of(response)["fields"]
    settings.CMDB_IMPORT_MAX_BYTES = 10
    response = client.post(URL, {"file": _upload(b"class,name\nlinux_server,x\n"), "source": "S"}, format="multipart",
                           HTTP_CONTENT_LENGTH=str(200 * 1024 * 1024))
    assert response.status_code == 400 and "the limit is" in error_of(response)["fields"]["file"][0]
    assert not ImportJob.objects.exists()


def test_requesters_are_refused(tenant, requester):
    response = api_client(tenant, requester).post(URL, {"source": "S", "rows": [{"class": "x", "name": "y"}]})
    assert response.status_code == 403 and not ImportJob.objects.exists()
    assert api_client(tenant, requester).get(URL).status_code == 403


def test_another_tenant_cannot_see_the_job_or_its_rejections(tenant, agent, other_tenant, in_other_tenant,
                                                             django_capture_on_commit_callbacks):
    from tests.factories import AgentFactory

    client = api_client(tenant, agent)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = client.post(URL, {"source": "S", "rows": [{"class": "nope", "name": "secret-row"}]}).json()["id"]
    with in_other_tenant():
        outsider = AgentFactory()
    beta = api_client(other_tenant, outsider)
    assert beta.get(f"{URL}{job_id}/").status_code == 404
    assert beta.get(f"{URL}{job_id}/rejections/").status_code == 404
    listing = beta.get(URL)
    assert b"secret-row" not in listing.content and listing.json()["results"] == []
    back_to(tenant)
