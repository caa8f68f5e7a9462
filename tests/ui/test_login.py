from django.db import connection
from django.test import Client
from django.urls import resolve

from accounts.views import home
from tests.conftest import host_of
from tests.factories import AgentFactory

PASSWORD = "correct horse battery staple"


def login(client, email, password, **extra):
    return client.post("/login/", {"username": email, "password": password}, **extra)


def test_login_page_renders_on_tenant_host(make_client, tenant):
    response = make_client(tenant).get("/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content
    assert b'name="username"' in response.content


def test_login_then_root_routes_agent_to_desk(make_client, tenant, agent):
    client = make_client(tenant)
    response = login(client, agent.email, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/")["Location"] == "/desk/"


def test_login_routes_requester_to_portal(make_client, tenant, requester):
    client = make_client(tenant)
    login(client, requester.email.upper(), PASSWORD)  # emails are case-insensitive
    assert client.get("/")["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_login_honours_safe_next_and_ignores_foreign_next(make_client, tenant, agent):
    client = make_client(tenant)
    response = client.post("/login/?next=/desk/incidents/new/", {"username": agent.email, "password": PASSWORD,
                                                                  "next": "/desk/incidents/new/"})
    assert response["Location"] == "/desk/incidents/new/"
    client = make_client(tenant)
    response = client.post("/login/", {"username": agent.email, "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_bad_password_shows_form_error(make_client, tenant, agent):
    client = make_client(tenant)
    response = login(client, agent.email, "wrong")
    assert response.status_code == 200
    assert b"do not match an account" in response.content
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(agent_client):
    assert agent_client.get("/logout/").status_code == 405
    response = agent_client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert agent_client.get("/desk/incidents/").status_code == 302


def assert_refused(response, minutes: str):
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert f"Too many attempts, try again in {minutes}.".encode() in response.content


def test_login_is_rate_limited_per_email(make_client, tenant, agent, settings):
    settings.LOGIN_RATE_LIMIT = {"attempts": 3, "window_seconds": 600}
    client = make_client(tenant)
    for _ in range(3):
        assert b"do not match" in login(client, agent.email, "wrong").content
    response = login(client, agent.email, PASSWORD)  # even the right password is refused now
    assert_refused(response, "10 minutes")
    assert b"do not match" not in response.content  # the password was not even checked
    assert "_auth_user_id" not in client.session


def test_a_short_wait_is_said_in_the_singular(make_client, tenant, agent, settings):
    settings.LOGIN_RATE_LIMIT = {"attempts": 1, "window_seconds": 45}
    client = make_client(tenant)
    login(client, agent.email, "wrong")
    assert_refused(login(client, agent.email, "wrong"), "1 minute")


def test_login_is_rate_limited_per_ip_across_emails(make_client, tenant, agent, settings):
    settings.LOGIN_RATE_LIMIT = {"attempts": 3, "window_seconds": 300}
    client = make_client(tenant)
    for n in range(3):
        login(client, f"nobody{n}@example.test", "wrong", REMOTE_ADDR="10.9.9.9")
    assert_refused(login(client, agent.email, PASSWORD, REMOTE_ADDR="10.9.9.9"), "5 minutes")
    # Another address is not affected.
    assert login(client, agent.email, PASSWORD, REMOTE_ADDR="10.9.9.10").status_code == 302


def test_successful_login_resets_the_account_counter(make_client, tenant, agent, settings):
    settings.LOGIN_RATE_LIMIT = {"attempts": 3, "window_seconds": 600}
    client = make_client(tenant)
    login(client, agent.email, "wrong", REMOTE_ADDR="10.1.1.1")
    login(client, agent.email, "wrong", REMOTE_ADDR="10.1.1.2")
    assert login(client, agent.email, PASSWORD, REMOTE_ADDR="10.1.1.3").status_code == 302
    client = make_client(tenant)
    login(client, agent.email, "wrong", REMOTE_ADDR="10.1.1.4")
    login(client, agent.email, "wrong", REMOTE_ADDR="10.1.1.5")
    assert login(client, agent.email, PASSWORD, REMOTE_ADDR="10.1.1.6").status_code == 302


def test_colleagues_behind_one_address_who_sign_in_do_not_lock_it(make_client, tenant, settings):
    settings.LOGIN_RATE_LIMIT = {"attempts": 3, "window_seconds": 600}
    colleagues = [AgentFactory() for _ in range(5)]
    for colleague in colleagues:
        assert login(make_client(tenant), colleague.email, PASSWORD, REMOTE_ADDR="10.2.2.2").status_code == 302
    # The address's failures still count: a good sign-in does not unlock guessing other accounts.
    for n in range(3):
        login(make_client(tenant), f"guess{n}@example.test", "wrong", REMOTE_ADDR="10.2.2.2")
    assert_refused(login(make_client(tenant), colleagues[0].email, PASSWORD, REMOTE_ADDR="10.2.2.2"), "10 minutes")


def test_rate_limit_counters_are_per_tenant(make_client, tenant, other_tenant, in_other_tenant, agent, settings):
    settings.LOGIN_RATE_LIMIT = {"attempts": 2, "window_seconds": 600}
    with in_other_tenant():
        twin = AgentFactory(email=agent.email)
    client = make_client(tenant)
    login(client, agent.email, "wrong")
    login(client, agent.email, "wrong")
    assert login(client, agent.email, PASSWORD).status_code == 429
    beta = make_client(other_tenant)
    response = login(beta, twin.email, PASSWORD)
    assert response.status_code == 302
    connection.set_tenant(tenant)


def test_login_on_the_console_host_is_limited_apart_from_tenants(client, tenant, agent, settings):
    settings.LOGIN_RATE_LIMIT = {"attempts": 1, "window_seconds": 600}
    login(client, agent.email, "wrong", HTTP_HOST=settings.BASE_DOMAIN)
    assert login(client, agent.email, "wrong", HTTP_HOST=settings.BASE_DOMAIN).status_code == 429
    connection.set_tenant(tenant)
    assert login(Client(HTTP_HOST=host_of(tenant)), agent.email, PASSWORD).status_code == 302


def test_blank_fields_are_form_errors_and_use_no_attempt(make_client, tenant, agent, settings):
    settings.LOGIN_RATE_LIMIT = {"attempts": 1, "window_seconds": 600}
    client = make_client(tenant)
    for _ in range(3):
        assert login(client, agent.email, "").status_code == 200
    assert login(client, agent.email, PASSWORD).status_code == 302


def test_login_works_on_public_host_and_root_is_not_claimed(client, db, settings):
    response = client.get("/login/", HTTP_HOST=settings.BASE_DOMAIN)
    assert response.status_code == 200
    assert b"Sign in" in response.content
    # On the MSP console's host "/" belongs to the console, never to the tenant home redirect.
    try:
        match = resolve("/", urlconf="itsm.urls_public")
    except Exception:
        match = None
    assert match is None or match.func is not home
    assert resolve("/", urlconf="itsm.urls_tenant").func is home


def test_tenant_pages_do_not_exist_on_public_host(client, db, settings):
    for path in ("/desk/incidents/", "/portal/", "/profile/", "/branding/theme.css"):
        assert client.get(path, HTTP_HOST=settings.BASE_DOMAIN).status_code == 404, path


def test_host_of_helper_matches_tenant_host(tenant):
    assert host_of(tenant) == "alpha.localhost"
