"""The API through the real web servers, not the in-process test client.

The test client once hid a 500 on every create: the Location header was a DRF ``Hyperlink``
(a str subclass), which gunicorn passes and wsgiref (``runserver``) refuses after the ticket
is stored. So the main flow runs through both servers, and concurrency through gunicorn.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

TENANT = "acme"
INCIDENTS = "/api/v1/incidents/"


class Api:
    """Calls one real server on a tenant's host (names like acme.localhost need not resolve)."""

    def __init__(self, server, token: str | None):
        self.server = server
        self.headers = {"Host": server.host(TENANT)}
        if token:
            self.headers["Authorization"] = f"Token {token}"

    def local(self, url_or_path: str) -> str:
        parts = urlsplit(url_or_path)
        assert not parts.netloc or parts.netloc == self.server.host(TENANT), url_or_path
        return f"http://127.0.0.1:{self.server.port}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    def request(self, method: str, path: str, *, headers: dict | None = None, **kwargs) -> requests.Response:
        return requests.request(method, self.local(path), headers={**self.headers, **(headers or {})}, timeout=30,
                                allow_redirects=False, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, json=body, **kwargs) if body is not None else self.request("POST", path,
                                                                                                     **kwargs)

    def patch(self, path, body, **kwargs):
        return self.request("PATCH", path, json=body, **kwargs)


def error_of(response) -> dict:
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:300]
    body = response.json()
    assert set(body) == {"detail", "code", "fields"} and body["detail"], body
    return body


@pytest.fixture(scope="module")
def tokens(live_database):
    return {role: live_database.manage("api_token", TENANT, f"{role}@{TENANT}.example").strip()
            for role in ("agent", "user")}


@pytest.fixture(params=["gunicorn", "runserver"])
def server(request):
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def agent(server, tokens):
    return Api(server, tokens["agent"])


def create(api: Api, title: str = "Printer on fire") -> requests.Response:
    return api.post(INCIDENTS, {"title": title, "description": "Third floor", "impact": 2, "urgency": 2})


def test_create_answers_201_with_a_plain_location_that_resolves(agent):
    response = create(agent)
    assert response.status_code == 201, response.text[:500]
    body = response.json()
    location = response.headers["Location"]
    assert location == body["url"] and location.endswith(f"{INCIDENTS}{body['number']}/")
    assert response.headers["ETag"] == f'"{body["version"]}"'
    fetched = agent.get(location)
    assert fetched.status_code == 200 and fetched.json()["number"] == body["number"]


def test_list_and_conditional_detail(agent):
    number = create(agent, "Listed").json()["number"]
    listed = agent.get(INCIDENTS, params={"page_size": 5})
    assert listed.status_code == 200
    assert number in [row["number"] for row in listed.json()["results"]]
    detail = agent.get(f"{INCIDENTS}{number}/")
    etag = detail.headers["ETag"]
    unchanged = agent.get(f"{INCIDENTS}{number}/", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == etag and not unchanged.content


def test_guarded_edit_action_and_comment(agent):
    created = create(agent, "Guarded").json()
    url = f"{INCIDENTS}{created['number']}/"
    etag = f'"{created["version"]}"'
    edited = agent.patch(url, {"title": "Guarded, edited"}, headers={"If-Match": etag})
    assert edited.status_code == 200 and edited.json()["title"] == "Guarded, edited"
    assert edited.headers["ETag"] == f'"{created["version"] + 1}"'
    stale = agent.patch(url, {"title": "Lost update"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and error_of(stale)["code"] == "stale_version"
    started = agent.post(f"{url}actions/start/", {}, headers={"If-Match": edited.headers["ETag"]})
    assert started.status_code == 200 and started.json()["state"] == "in_progress"
    comment = agent.post(f"{url}comments/", {"body": "On it."})
    assert comment.status_code == 201 and comment.json()["body"] == "On it."
    assert agent.get(url).json()["title"] == "Guarded, edited"


def test_attachment_upload_and_streamed_download(agent):
    number = create(agent, "With a file").json()["number"]
    content = b"line one\nline two\n" * 2000
    uploaded = agent.post(f"{INCIDENTS}{number}/attachments/", files={"file": ("notes.txt", content, "text/plain")},
                          data={"is_public": "true"})
    assert uploaded.status_code == 201, uploaded.text[:500]
    attachment = uploaded.json()
    assert attachment["size"] == len(content)
    with requests.get(agent.local(attachment["download_url"]), headers=agent.headers, stream=True,
                      timeout=30) as download:
        assert download.status_code == 200
        received = b"".join(download.iter_content(chunk_size=4096))
    assert received == content


def test_errors_are_json_with_the_right_status(agent, server, tokens):
    number = create(agent, "Errors").json()["number"]
    url = f"{INCIDENTS}{number}/"
    invalid = agent.post(INCIDENTS, {"title": ""})
    assert invalid.status_code == 400 and "title" in error_of(invalid)["fields"]
    unknown_field = agent.post(INCIDENTS, {"title": "x", "colour": "red"})
    assert unknown_field.status_code == 400 and set(error_of(unknown_field)["fields"]) == {"colour"}
    wrong_type = agent.post(INCIDENTS, {"title": 7})
    assert wrong_type.status_code == 400 and set(error_of(wrong_type)["fields"]) == {"title"}
    not_an_object = agent.post(f"{url}actions/start/", [])
    assert not_an_object.status_code == 400 and error_of(not_an_object)["code"] == "invalid"
    assert error_of(agent.get(f"{INCIDENTS}INC9999999/"))["code"] == "not_found"
    malformed = agent.patch(url, {"title": "y"}, headers={"If-Match": "W/xyz, 12"})
    assert malformed.status_code == 412 and "If-Match" in error_of(malformed)["fields"]
    # Unrouted API paths answer JSON 404 for every method, not Django's HTML CSRF or 404 pages.
    for method in ("GET", "POST", "PUT", "DELETE"):
        response = agent.request(method, "/api/v1/nothing/here/")
        assert response.status_code == 404 and error_of(response)["code"] == "not_found", method
    assert error_of(agent.get("/api/v1/incidents/a%0Ab/attachments/1/"))["code"] == "not_found"
    not_allowed = agent.request("DELETE", url)
    assert not_allowed.status_code == 405 and error_of(not_allowed)
    anonymous = Api(server, None).get(INCIDENTS)
    assert anonymous.status_code == 401 and error_of(anonymous)["code"] == "not_authenticated"
    requester = Api(server, tokens["user"]).patch(url, {"title": "mine now"})
    assert requester.status_code in (403, 404) and error_of(requester)


def test_parallel_creates_get_unique_numbers(gunicorn_server, tokens):
    api = Api(gunicorn_server, tokens["agent"])
    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(pool.map(lambda n: create(api, f"Parallel {n}"), range(100)))
    assert [r.status_code for r in responses] == [201] * 100, {r.status_code: r.text[:300] for r in responses}
    assert len({r.json()["number"] for r in responses}) == 100


def test_parallel_guarded_edits_lose_no_update(gunicorn_server, tokens):
    api = Api(gunicorn_server, tokens["agent"])
    created = create(api, "Contended").json()
    url = f"{INCIDENTS}{created['number']}/"

    def edit(n: int) -> int:
        etag = api.get(url).headers["ETag"]
        return api.patch(url, {"description": f"edit {n}"}, headers={"If-Match": etag}).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(edit, range(50)))
    assert set(statuses) <= {200, 412}, statuses
    assert statuses.count(200) >= 1
    final = api.get(url).json()
    assert final["version"] == created["version"] + statuses.count(200)
    # Each accepted edit is in the history: none was overwritten unseen.
    timeline = api.get(f"{url}timeline/", params={"page_size": 200}).json()["results"]
    edits = [entry for entry in timeline if entry["kind"] == "field_change"]
    assert len(edits) == statuses.count(200), json.dumps(edits)[:500]
