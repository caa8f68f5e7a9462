"""`manage.py api_token <tenant> <email>` prints a working key, valid only on that tenant."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import ApiToken, hash_token


def test_command_prints_a_key_that_authenticates_on_its_tenant_only(tenant, agent, other_tenant):
    out = StringIO()
    call_command("api_token", tenant.slug, agent.email.upper(), stdout=out)
    key = out.getvalue().strip()
    token = ApiToken.objects.get(user=agent)
    assert token.key_hash == hash_token(key) and key not in token.key_hash  # only the hash is stored
    ok = Client(HTTP_HOST=f"{tenant.slug}.localhost").get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {key}")
    assert ok.status_code == 200
    bearer = Client(HTTP_HOST=f"{tenant.slug}.localhost").get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bearer.status_code == 200
    elsewhere = Client(HTTP_HOST=f"{other_tenant.slug}.localhost").get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {key}")
    assert elsewhere.status_code == 401


@pytest.mark.parametrize("args, message", [(("nosuch", "a@b.c"), "No tenant"), (("alpha", "nobody@example.test"), "No user")])
def test_command_refuses_unknown_tenant_or_user(tenant, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("api_token", *args, stdout=StringIO())


def test_command_refuses_the_msp_console_and_deactivated_users(tenant, agent):
    with pytest.raises(CommandError, match="not on the MSP console"):
        call_command("api_token", "public", "msp@example.test", stdout=StringIO())
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="deactivated"):
        call_command("api_token", tenant.slug, agent.email, stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_command_works_under_production_settings(live_database, gunicorn_server):
    """It is how an integrator gets a first token: no DEBUG, no test switches, only what production sets."""
    import requests

    production = {"DJANGO_SETTINGS_MODULE": "itsm.settings", "DEBUG": "0", "ITSM_TESTING": "0",
                  "SECRET_KEY": "production-like-secret-key-for-this-test-only-0123456789"}
    key = live_database.manage("api_token", "acme", "agent@acme.example", "--name", "first token",
                               **production).strip()
    response = requests.get(f"http://127.0.0.1:{gunicorn_server.port}/api/v1/tokens/", timeout=30,
                            headers={"Host": gunicorn_server.host("acme"), "Authorization": f"Token {key}"})
    assert response.status_code == 200
    assert "first token" in [token["name"] for token in response.json()]
