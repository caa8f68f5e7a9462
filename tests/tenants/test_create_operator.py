"""`manage.py create_operator`: the first MSP console account on a fresh installation."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User


def run(*args):
    out = io.StringIO()
    call_command("create_operator", *args, stdout=out)
    return out.getvalue()


def test_operator_from_env_is_created_and_can_use_the_console(db, monkeypatch):
    monkeypatch.setenv("OPERATOR_EMAIL", "Ops@MSP.example")
    monkeypatch.setenv("OPERATOR_NAME", "Olivia Ops")
    monkeypatch.setenv("OPERATOR_PASSWORD", "a sturdy passphrase 1")
    assert "Operator ops@msp.example created." in run("--from-env")
    operator = User.objects.get(email="ops@msp.example")
    assert (operator.role, operator.full_name) == (User.Role.OPERATOR, "Olivia Ops")
    client = Client(HTTP_HOST="localhost")
    assert client.login(username="ops@msp.example", password="a sturdy passphrase 1")
    assert client.get("/").status_code == 200
    assert "already exists; nothing changed" in run("--from-env")  # idempotent for the compose `migrate` step
    assert User.objects.filter(email="ops@msp.example").count() == 1


def test_from_env_without_an_email_only_prepares_the_public_tenant(db, monkeypatch):
    monkeypatch.delenv("OPERATOR_EMAIL", raising=False)
    before = User.objects.count()
    assert "no operator was created" in run("--from-env")
    assert User.objects.count() == before


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [("not-an-email", "a sturdy passphrase 1", "email: Enter a valid email address."),
     ("ops@msp.example", "short", "password: This password is too short"),
     ("ops@msp.example", "", "password:")],
)
def test_bad_operator_details_are_refused(db, monkeypatch, email, password, message):
    monkeypatch.setenv("OPERATOR_EMAIL", email)
    monkeypatch.setenv("OPERATOR_PASSWORD", password)
    with pytest.raises(CommandError, match=message):
        run("--from-env")
    assert not User.objects.filter(role=User.Role.OPERATOR).exists()


def test_email_argument_is_required_without_from_env(db):
    with pytest.raises(CommandError, match="operator's email"):
        run()
