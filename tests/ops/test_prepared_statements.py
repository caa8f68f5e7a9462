"""Server-side binding with prepared statements, under django-tenants' per-tenant search_path.

A statement psycopg prepared while alpha's schema was current must read beta's tables once
beta's schema is current: PostgreSQL re-parses a prepared statement whose search_path
changed. These tests prove it on the real server, on the connection the app uses.
"""

import pytest
from django.conf import settings
from django.db import connection

from incidents.models import Incident
from tests.factories import AgentFactory, make_incident

pytestmark = pytest.mark.django_db


def _prepared_statements_for(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                       [f"%{table}%"])
        return cursor.fetchone()[0]


def test_the_app_connects_with_server_side_binding_and_a_prepare_threshold():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["server_side_binding"] is True
    connection.ensure_connection()
    assert connection.connection.prepare_threshold == options["prepare_threshold"] == 5
    assert type(connection.connection.cursor()).__name__ == "ServerBindingCursor"


def test_a_query_run_often_is_prepared_and_read_in_the_current_tenant_only(tenant, other_tenant):
    alpha_agent = AgentFactory()
    alpha_titles = {make_incident(by=alpha_agent, title=f"Alpha {n}").title for n in range(2)}
    connection.set_tenant(other_tenant)
    beta_agent = AgentFactory()
    beta_title = make_incident(by=beta_agent, title="Beta only").title

    def titles():
        return set(Incident.objects.filter(title__startswith="").values_list("title", flat=True))

    connection.set_tenant(tenant)
    before = _prepared_statements_for("incidents_incident")
    for _ in range(settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] + 1):
        assert titles() == alpha_titles
    assert _prepared_statements_for("incidents_incident") > before, "the repeated query was not prepared"

    # The same prepared statement, now under beta's search_path: beta's rows, never alpha's.
    connection.set_tenant(other_tenant)
    for _ in range(3):
        assert titles() == {beta_title}
    connection.set_tenant(tenant)
    assert titles() == alpha_titles


def test_a_prepared_write_lands_in_the_current_tenant(tenant, other_tenant):
    agent = AgentFactory()
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    for n in range(threshold + 1):
        make_incident(by=agent, title=f"Alpha write {n}")
    connection.set_tenant(other_tenant)
    beta_agent = AgentFactory()
    make_incident(by=beta_agent, title="Beta write")
    assert list(Incident.objects.values_list("title", flat=True)) == ["Beta write"]
    connection.set_tenant(tenant)
    assert Incident.objects.filter(title__startswith="Alpha write").count() == threshold + 1
    assert not Incident.objects.filter(title="Beta write").exists()
