"""/healthz: database, Redis and the beat/worker heartbeat."""

import time

import pytest
import redis
from django.test import Client

from itsm import heartbeat


@pytest.fixture
def clean_heartbeat(db):
    heartbeat.client().delete(heartbeat.KEY)
    yield
    heartbeat.client().delete(heartbeat.KEY)


def get_health(host="localhost"):
    response = Client(HTTP_HOST=host).get("/healthz")
    return response, response.json()


def test_all_ok_when_database_redis_and_a_fresh_heartbeat_are_there(clean_heartbeat):
    heartbeat.beat()
    response, body = get_health()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["worker_beat"] == "ok"
    assert 0 <= body["checks"]["worker_beat_age_seconds"] < 5


def test_health_is_served_on_tenant_hosts_too(clean_heartbeat, tenant):
    heartbeat.beat()
    response, body = get_health("alpha.localhost")
    assert response.status_code == 200
    assert body["status"] == "ok"


def test_stale_heartbeat_degrades_but_stays_200(clean_heartbeat):
    heartbeat.client().set(heartbeat.KEY, str(time.time() - heartbeat.STALE_AFTER_SECONDS - 30))
    response, body = get_health()
    assert response.status_code == 200  # the web tier still serves; the monitor alerts on "degraded"
    assert body["status"] == "degraded"
    assert body["checks"]["worker_beat"].startswith("stale (")


def test_missing_heartbeat_is_reported(clean_heartbeat):
    response, body = get_health()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["worker_beat"] == "no heartbeat yet"
    assert body["checks"]["worker_beat_age_seconds"] is None


def test_redis_down_is_503(db, monkeypatch):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, socket_timeout=0.5)
    monkeypatch.setattr(heartbeat, "client", lambda: dead)
    response, body = get_health()
    assert response.status_code == 503
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "error: ConnectionError"
    assert body["checks"]["worker_beat"] == "unknown"


def test_database_down_is_503(db, monkeypatch, clean_heartbeat):
    from django.db import OperationalError

    from itsm import health

    class BrokenConnection:
        def cursor(self):
            raise OperationalError("server closed the connection")

    heartbeat.beat()
    monkeypatch.setattr(health, "connection", BrokenConnection())
    # The tenant lookup by host needs the database too: the probe must not depend on it.
    monkeypatch.setattr("tenants.middleware.TenantResolutionMiddleware.get_tenant",
                        lambda *args: (_ for _ in ()).throw(OperationalError("down")))
    response = Client(HTTP_HOST="localhost").get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "error: OperationalError"
    assert body["checks"]["redis"] == "ok"


def test_beat_heartbeat_task_refreshes_the_heartbeat(clean_heartbeat):
    from itsm.tasks import beat_heartbeat

    assert heartbeat.age_seconds() is None
    beat_heartbeat.delay()
    assert heartbeat.age_seconds() < 5


def test_health_answers_on_any_host_name_for_probes(clean_heartbeat):
    """Container probes call by IP or service name, which are no tenant's domain."""
    heartbeat.beat()
    for host in ("10.0.0.7:8000", "web:8000"):
        response = Client(HTTP_HOST=host).get("/healthz")
        assert response.status_code == 200, host
        assert response.json()["status"] == "ok"
