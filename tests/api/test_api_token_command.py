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
