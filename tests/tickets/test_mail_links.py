"""Links in notification mail use SITE_URL's scheme and port on the tenant's own host."""

import re

import pytest
from django.core import mail

from tests.factories import AgentFactory, make_incident


@pytest.mark.parametrize("site_url, origin", [
    ("http://localhost:8000", "http://alpha.localhost:8000"),
    ("https://localhost", "https://alpha.localhost"),
    ("https://localhost:8443", "https://alpha.localhost:8443"),
])
def test_mail_links_follow_the_configured_site_url(tenant, requester, group, settings, site_url, origin,
                                                   django_capture_on_commit_callbacks):
    settings.SITE_URL = site_url
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(by=requester, assignment_group=group)
    [message] = [m for m in mail.outbox if m.to == [requester.email]]
    [link] = re.findall(r"https?://\S+", message.body)
    assert link == f"{origin}/portal/tickets/{incident.number}/"


def test_agents_get_the_desk_link_on_the_same_origin(tenant, requester, agent, group, settings,
                                                     django_capture_on_commit_callbacks):
    from incidents import services

    settings.SITE_URL = "http://localhost:8000"
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(by=requester, assignment_group=group)
        services.update_incident(incident, by=AgentFactory(), changes={"assignee": agent})
    [message] = [m for m in mail.outbox if m.to == [agent.email]]
    assert f"http://alpha.localhost:8000/desk/incidents/{incident.number}/" in message.body
