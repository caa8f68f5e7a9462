from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from incidents import services
from tests.factories import RequesterFactory


def _files(incident, agent, requester):
    public = services.add_reply(incident, by=requester, body="screenshot", is_public=True,
                                attachments=[SimpleUploadedFile("public.txt", b"public bytes")]).attachments.get()
    internal = services.add_reply(incident, by=agent, body="diag", is_public=False,
                                  attachments=[SimpleUploadedFile("internal.txt", b"internal bytes")]).attachments.get()
    return public, internal


def test_agent_downloads_any_attachment(agent_client, incident, agent, requester):
    public, internal = _files(incident, agent, requester)
    for attachment, body in ((public, b"public bytes"), (internal, b"internal bytes")):
        response = agent_client.get(f"/attachments/{attachment.pk}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == body
        assert "attachment;" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"


def test_requester_gets_public_but_not_internal_attachment(requester_client, incident, agent, requester):
    public, internal = _files(incident, agent, requester)
    assert requester_client.get(f"/attachments/{public.pk}/").status_code == 200
    response = requester_client.get(f"/attachments/{internal.pk}/")
    assert response.status_code == 403
    assert b"internal bytes" not in response.content


def test_other_requester_gets_404(make_client, tenant, incident, agent, requester):
    public, _ = _files(incident, agent, requester)
    stranger = make_client(tenant, RequesterFactory())
    assert stranger.get(f"/attachments/{public.pk}/").status_code == 404


def test_anonymous_is_sent_to_login(make_client, tenant, incident, agent, requester):
    public, _ = _files(incident, agent, requester)
    response = make_client(tenant).get(f"/attachments/{public.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_other_tenant_gets_404(make_client, tenant, other_tenant, in_other_tenant, incident, agent, requester):
    public, internal = _files(incident, agent, requester)
    from tests.factories import AgentFactory

    with in_other_tenant():
        beta_agent = AgentFactory()
    beta = make_client(other_tenant)
    with in_other_tenant():
        beta.force_login(beta_agent)
    for attachment in (public, internal):
        response = beta.get(f"/attachments/{attachment.pk}/")
        assert response.status_code == 404
    connection.set_tenant(tenant)
