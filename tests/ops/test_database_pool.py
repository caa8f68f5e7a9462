"""The bounded connection pool: sized from the web threads, 503 (never 500) when it runs dry."""

import pytest
from django.db import OperationalError, connection
from psycopg_pool import PoolTimeout

from tenants.services import tenant_host


@pytest.fixture
def pooled(monkeypatch, settings):
    """Pretend the connection is pooled and the pool has no connection to give."""
    settings.DB_POOL = True

    def exhausted():
        try:
            raise PoolTimeout("couldn't get a connection after 10.00 sec")
        except PoolTimeout as exc:
            raise OperationalError(str(exc)) from exc

    with monkeypatch.context() as patch:
        patch.setattr(connection, "ensure_connection", exhausted)
        yield


def test_an_exhausted_pool_answers_json_503_with_retry_after_on_the_api(tenant, client, pooled):
    response = client.get("/api/v1/incidents/", HTTP_HOST=tenant_host(tenant.slug))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "The service is busy right now. Please try again in a few seconds.",
                               "code": "service_unavailable", "fields": {}}


def test_an_exhausted_pool_answers_a_busy_page_in_the_ui(tenant, client, pooled):
    response = client.get("/desk/incidents/", HTTP_HOST=tenant_host(tenant.slug))
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert b"The service is busy right now" in response.content


def test_a_database_that_is_down_is_not_reported_as_busy(tenant, client, monkeypatch, settings):
    settings.DB_POOL = True

    def down():
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "ensure_connection", down)
        with pytest.raises(OperationalError, match="connection refused"):
            client.get("/desk/incidents/", HTTP_HOST=tenant_host(tenant.slug))


def test_the_pool_holds_one_connection_per_web_thread(monkeypatch):
    """Settings size the pool from WEB_THREADS, so a web process never opens more than it can use."""
    import importlib

    import itsm.settings as settings_module

    monkeypatch.setenv("DB_POOL", "1")
    monkeypatch.setenv("WEB_THREADS", "6")
    monkeypatch.delenv("DB_POOL_MAX_SIZE", raising=False)
    try:
        reloaded = importlib.reload(settings_module)
        database = reloaded.DATABASES["default"]
        assert database["OPTIONS"]["pool"]["max_size"] == 6
        assert database["CONN_MAX_AGE"] == 0  # Django's pool needs non-persistent connections
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


@pytest.mark.integration
def test_pooled_connections_never_carry_one_tenants_schema_into_anothers_request(gunicorn_server, live_database):
    """Connections go back to the pool between requests: each must start on its own request's tenant."""
    import json
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    keys = {slug: live_database.manage("api_token", slug, f"agent@{slug}.example", "--name", f"pool probe {slug}").strip()
            for slug in ("acme", "globex")}

    def token_names(slug):
        request = urllib.request.Request(gunicorn_server.url(None, "/api/v1/tokens/").replace("localhost", "127.0.0.1"),
                                         headers={"Host": gunicorn_server.host(slug),
                                                  "Authorization": f"Token {keys[slug]}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return slug, {token["name"] for token in json.load(response)}

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(token_names, ["acme", "globex"] * 100))
    for slug, names in results:
        assert f"pool probe {slug}" in names
        assert not any(name.startswith("pool probe") and not name.endswith(slug) for name in names), (slug, names)
