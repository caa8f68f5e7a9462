"""MSP console: who gets in, the tenant list and its per-tenant counts."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenants.models import Tenant
from tests.tenants.conftest import public_user


def test_anonymous_visitor_is_sent_to_login(anonymous_console):
    response = anonymous_console.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_public_user_who_is_not_an_operator_gets_403(db):
    from django.test import Client

    from accounts.models import User

    user = public_user(email="helpdesk@msp.test", role=User.Role.ADMIN)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    for path in ("/", "/tenants/new/", "/tenants/alpha/branding/", "/tenants/alpha/suspend/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert b"Alpha Ltd" not in response.content
    response = client.post("/tenants/alpha/suspend/", {"reason": "unpaid"})
    assert response.status_code == 403
    assert Tenant.objects.get(slug="alpha").is_active


def test_deactivated_operator_gets_403(db):
    from django.test import Client

    user = public_user(email="gone@msp.test")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    user.is_active = False
    user.save()
    assert client.get("/").status_code == 302  # an inactive user's session no longer authenticates


def test_tenant_user_session_is_not_valid_on_the_console(make_client, tenant, agent):
    """A tenant's agent (tenant schema) has no account in the public schema."""
    from django.test import Client

    client = make_client(tenant, agent)
    console = Client(HTTP_HOST="localhost")
    console.cookies = client.cookies
    response = console.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_header_shows_console_operator_and_logout(console, operator):
    response = console.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "MSP Console" in html
    assert operator.full_name in html
    assert 'action="/logout/"' in html and 'method="post"' in html
    assert "csrfmiddlewaretoken" in html


def test_tenant_list_shows_each_tenant_with_host_status_and_counts(console, tenant, other_tenant, agent, requester,
                                                                   settings):
    from tests.factories import RequesterFactory, make_incident

    # The production default (`make test` runs with DEBUG=1, whose default would be http://).
    settings.SITE_URL = "https://localhost"

    # alpha: admin + agent + requester + one inactive person; 2 open incidents and 1 cancelled
    RequesterFactory(email="left@example.test", is_active=False)
    make_incident(by=requester)
    make_incident(by=requester, title="VPN down")
    cancelled = make_incident(by=agent, requester=requester, title="Duplicate")
    from incidents.services import transition_incident

    transition_incident(cancelled, "cancel", by=agent, fields={"cancel_reason": "duplicate"})
    connection.set_schema_to_public()

    response = console.get("/")
    assert response.status_code == 200
    rows = {row["tenant"].slug: row for row in response.context["tenants"]}
    assert set(rows) == {"alpha", "beta"}  # never the public schema's own row
    assert rows["alpha"]["counts"].users == 3
    assert rows["alpha"]["counts"].open_tickets == 2
    assert rows["beta"]["counts"].users == 1
    assert rows["beta"]["counts"].open_tickets == 0
    assert rows["alpha"]["url"] == "https://alpha.localhost/"  # SITE_URL's scheme on the tenant's host
    html = response.content.decode()
    assert "Alpha Ltd" in html and "Beta plc" in html
    assert 'href="https://alpha.localhost/"' in html
    assert "Active" in html


def test_tenant_list_counts_with_one_query_per_tenant(console, tenant):
    connection.set_schema_to_public()
    console.get("/")  # the host's tenant is then in the shared cache (tenants.host_cache)
    with CaptureQueriesContext(connection) as queries:
        response = console.get("/")
    assert response.status_code == 200
    count_queries = [q["sql"] for q in queries.captured_queries if "incidents_incident" in q["sql"]]
    assert len(count_queries) == Tenant.objects.exclude(schema_name="public").count()
    # session, user, tenant list, their domains (one prefetch), then one count per tenant
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]
    assert len(statements) == 4 + len(count_queries)


def test_tenant_links_use_the_configured_site_url_not_the_request(operator, settings):
    from django.test import Client

    settings.SITE_URL = "https://localhost:8443"
    # The request as a TLS proxy forwards it: plain HTTP, on the inner port.
    client = Client(HTTP_HOST="localhost:8000")
    client.force_login(operator)
    html = client.get("/").content.decode()
    assert 'href="https://alpha.localhost:8443/"' in html and ":8000" not in html


def test_suspended_tenant_is_marked_with_its_reason_and_a_resume_link(console, db):
    from tenants.services import suspend_tenant

    suspend_tenant(Tenant.objects.get(slug="beta"), reason="Contract ended")
    html = console.get("/").content.decode()
    assert "Suspended" in html and "Contract ended" in html
    assert 'href="/tenants/beta/resume/"' in html
    assert 'href="/tenants/alpha/suspend/"' in html


def test_counts_are_read_inside_each_tenant_schema(console, tenant, requester, in_other_tenant):
    """Beta's open incidents never leak into alpha's count and vice versa."""
    from tests.factories import RequesterFactory, make_incident

    with in_other_tenant():
        beta_user = RequesterFactory(email="b@beta.test")
        make_incident(by=beta_user)
    connection.set_schema_to_public()
    rows = {row["tenant"].slug: row for row in console.get("/").context["tenants"]}
    assert rows["alpha"]["counts"].open_tickets == 0
    assert rows["beta"]["counts"].open_tickets == 1
    with schema_context("alpha"):
        from incidents.models import Incident

        assert not Incident.objects.exists()
