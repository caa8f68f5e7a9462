"""Structured logs: one JSON line per request and per Celery task, always with the tenant."""

import io
import json
import logging

import pytest
from celery import shared_task
from django.test import Client

from itsm.logging import JsonFormatter, TenantContextFilter

task_body_logger = logging.getLogger("tests.ops.task_body")


@shared_task(ignore_result=True)
def logging_probe_task(word):
    task_body_logger.info("inside the task", extra={"word": word})
    return word


@pytest.fixture
def json_lines():
    """Capture what the production handler would print, as parsed JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(TenantContextFilter())
    loggers = [logging.getLogger(name) for name in ("itsm.request", "itsm.task", "tests.ops.task_body")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

    def read(logger_name=None):
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        return [line for line in lines if logger_name is None or line["logger"] == logger_name]

    yield read
    for logger, level in zip(loggers, levels):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_tenant_request_logs_one_json_line_with_tenant_and_user(make_client, tenant, agent, json_lines):
    response = make_client(tenant, agent).get("/login/?next=/desk/")
    lines = json_lines("itsm.request")
    assert len(lines) == 1
    line = lines[0]
    assert line["tenant"] == "alpha"
    assert line["user"] == agent.email
    assert (line["method"], line["path"], line["status"]) == ("GET", "/login/", response.status_code)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["message"] == "request"
    assert line["request_id"] == response["X-Request-ID"]


def test_anonymous_request_on_the_console_logs_public_tenant_and_no_user(db, json_lines):
    Client(HTTP_HOST="localhost").post("/tenants/new/", {})
    [line] = json_lines("itsm.request")
    assert (line["tenant"], line["user"], line["method"], line["status"]) == ("public", None, "POST", 302)


def test_unknown_host_is_logged_without_a_tenant(db, json_lines):
    response = Client(HTTP_HOST="nobody.localhost").get("/")
    assert response.status_code == 404
    [line] = json_lines("itsm.request")
    assert line["tenant"] is None and line["status"] == 404


def test_a_safe_caller_request_id_is_kept_and_an_unsafe_one_replaced(db, json_lines):
    client = Client(HTTP_HOST="localhost")
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234.abc")["X-Request-ID"] == "lb-1234.abc"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID='x"\n{"forged": 1}')["X-Request-ID"]
    assert len(replaced) == 32 and "forged" not in replaced
    assert [line["request_id"] for line in json_lines("itsm.request")] == ["lb-1234.abc", replaced]


def test_formatter_keeps_extras_and_exceptions_on_one_line():
    record = logging.makeLogRecord({"name": "x", "levelname": "ERROR", "msg": "boom %s", "args": ("now",),
                                    "ticket": "INC0000001", "when": object()})
    try:
        raise ValueError("bad")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    output = JsonFormatter().format(record)
    assert "\n" not in output
    payload = json.loads(output)
    assert payload["message"] == "boom now"
    assert payload["ticket"] == "INC0000001"
    assert "ValueError: bad" in payload["exc"]


def test_a_celery_task_logs_tenant_name_state_and_duration(tenant, json_lines):
    logging_probe_task.delay("hello")
    [line] = json_lines("itsm.task")
    assert line["tenant"] == "alpha"
    assert line["task"] == "tests.ops.test_logging.logging_probe_task"
    assert line["state"] == "SUCCESS"
    assert isinstance(line["duration_ms"], float)
    [inside] = json_lines("tests.ops.task_body")
    assert (inside["tenant"], inside["task"], inside["word"]) == ("alpha", line["task"], "hello")
    assert inside["task_id"] == line["task_id"]


def test_task_sent_from_another_tenant_is_logged_with_that_tenant(tenant, in_other_tenant, json_lines):
    with in_other_tenant():
        logging_probe_task.delay("beta's")
    [line] = json_lines("itsm.task")
    assert line["tenant"] == "beta"


def test_failed_task_is_logged_with_failure_state(tenant, json_lines):
    from itsm.celery import app

    app.conf.task_eager_propagates = False
    try:
        logging_probe_task.apply(args=(), kwargs={})  # missing argument -> TypeError inside the task run
    finally:
        app.conf.task_eager_propagates = True
    [line] = json_lines("itsm.task")
    assert line["state"] == "FAILURE"
    assert line["tenant"] == "alpha"
