"""SITE_URL: the scheme, host and port every absolute link is built on (mail, console), never hard-coded."""

import pytest

from itsm.env import site_url_setting
from tenants.services import absolute_url


@pytest.mark.parametrize("value, debug, expected", [
    ("", True, "http://desk.example.com"),
    ("", False, "https://desk.example.com"),
    ("http://desk.example.com:8000", False, "http://desk.example.com:8000"),
    ("https://DESK.example.com/", True, "https://desk.example.com"),
    ("  https://desk.example.com:8443  ", False, "https://desk.example.com:8443"),
])
def test_site_url_is_normalised_and_defaults_to_the_base_domain(value, debug, expected):
    assert site_url_setting(value, base_domain="desk.example.com", debug=debug) == expected


@pytest.mark.parametrize("value, message", [
    ("desk.example.com", "must look like"),
    ("ftp://desk.example.com", "must look like"),
    ("https://desk.example.com:99999", "must look like"),
    ("https://desk.example.com/service-desk", "only a scheme, a host"),
    ("https://desk.example.com?x=1", "only a scheme, a host"),
    ("https://other.example.com", "must be BASE_DOMAIN"),
])
def test_a_site_url_links_cannot_be_built_on_is_refused(value, message):
    with pytest.raises(ValueError, match=message):
        site_url_setting(value, base_domain="desk.example.com", debug=False)


@pytest.mark.parametrize("site_url, expected", [
    ("http://localhost:8000", "http://acme.localhost:8000/desk/"),
    ("https://localhost", "https://acme.localhost/desk/"),
])
def test_absolute_url_puts_a_host_on_the_site_urls_scheme_and_port(settings, site_url, expected):
    settings.SITE_URL = site_url
    assert absolute_url("acme.localhost", "/desk/") == expected
    assert absolute_url() == site_url + "/"


def test_seed_demo_prints_the_tenant_links_on_the_site_url(live_database):
    out = live_database.manage("seed_demo", SITE_URL="http://localhost:8123")  # idempotent: nothing new is made
    assert "tenant acme: http://acme.localhost:8123/" in out
    assert "tenant globex: http://globex.localhost:8123/" in out
