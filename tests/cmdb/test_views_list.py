"""/desk/cmdb/: filters (class with its subclasses, status, environment, criticality, group, text), sort, pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb import services
from tests.cmdb import desk_estate
from tests.factories import AgentFactory, GroupFactory, RequesterFactory

pytestmark = pytest.mark.django_db


def names(response):
    page = response.content.decode()
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    import re

    return re.findall(r'<a href="/desk/cmdb/\d+/">([^<]+)</a>', body)


def test_filters_search_and_sort(tenant, agent, make_client):
    estate = desk_estate.build(agent)
    c = desk_estate.classes()
    dba = GroupFactory(name="DBA")
    services.update_ci(estate["database"], by=agent, support_group=dba, environment="staging")
    services.create_ci(by=agent, name="win-01", ci_class=c["windows_server"], status="retired")
    client = make_client(tenant, agent)
    assert names(client.get("/desk/cmdb/")) == ["core-sw-01", "lnx-db-01", "Shop", "shop-db", "win-01"]
    # A class lists its descendants: Server has the Linux and the Windows server; Hardware the switch too.
    assert names(client.get(f"/desk/cmdb/?ci_class={c['server'].pk}")) == ["lnx-db-01", "win-01"]
    assert len(names(client.get(f"/desk/cmdb/?ci_class={c['hardware'].pk}"))) == 3
    assert names(client.get("/desk/cmdb/?status=retired")) == ["win-01"]
    assert names(client.get("/desk/cmdb/?environment=staging")) == ["shop-db"]
    assert names(client.get("/desk/cmdb/?criticality=1")) == ["core-sw-01"]
    assert names(client.get(f"/desk/cmdb/?support_group={dba.pk}")) == ["shop-db"]
    for term in ("LNX-DB-01.example", "SN-1", "10.0.0.5", "db-01"):
        assert names(client.get(f"/desk/cmdb/?q={term}")) == ["lnx-db-01"], term
    assert names(client.get("/desk/cmdb/?sort=-name")) == ["win-01", "shop-db", "Shop", "lnx-db-01", "core-sw-01"]
    assert names(client.get("/desk/cmdb/?sort=criticality"))[0] == "core-sw-01"
    # A bad filter value is reported, not a 500.
    response = client.get("/desk/cmdb/?status=melted&criticality=9")
    assert response.status_code == 200 and "Some filters were ignored" in response.content.decode()
    # htmx gets the rows alone.
    fragment = client.get("/desk/cmdb/?q=shop", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div class="results-meta">') and "shop-db" in fragment


def test_the_list_pages_with_a_fixed_number_of_queries(tenant, agent, make_client):
    c = desk_estate.classes()
    group = GroupFactory()
    for index in range(3):
        services.create_ci(by=agent, name=f"ci-{index:03}", ci_class=c["linux_server"], support_group=group)
    client = make_client(tenant, agent)
    client.get("/desk/cmdb/")

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/desk/cmdb/?ci_class={c['server'].pk}&sort=name").status_code == 200
        return len(captured)

    few = count()
    for index in range(3, 60):
        services.create_ci(by=agent, name=f"ci-{index:03}", ci_class=c["linux_server"], support_group=group)
    assert count() == few
    # search path, session, user; the class (validated) and its descendants; count, rows; classes and groups
    # for the selects.
    assert few == 9
    page = client.get("/desk/cmdb/?page=2").content.decode()
    assert "51–60 of 60" in page and "ci-050" in page


def test_new_ci_link_and_nav(tenant, agent, make_client):
    page = make_client(tenant, agent).get("/desk/cmdb/").content.decode()
    assert 'href="/desk/cmdb/new/"' in page
    assert '<a href="/desk/cmdb/" aria-current="page">CMDB</a>' in page
    assert "cmdb/cmdb.css" in page


def test_requesters_cannot_list(tenant, make_client):
    assert make_client(tenant, RequesterFactory()).get("/desk/cmdb/").status_code == 403
    assert make_client(tenant).get("/desk/cmdb/").status_code == 302


def test_another_tenant_lists_none_of_these(tenant, agent, make_client, other_tenant, in_other_tenant):
    desk_estate.build(agent)
    with in_other_tenant():
        page = make_client(other_tenant, AgentFactory()).get("/desk/cmdb/?q=db").content.decode()
        lookup = make_client(other_tenant, AgentFactory()).get("/desk/cmdb/lookup/?q=db").content.decode()
    assert "lnx-db-01" not in page and "No CIs match" in page
    assert "lnx-db-01" not in lookup
