"""Tenant admin settings: people, groups, priority matrix."""

import pytest

from accounts.models import AssignmentGroup, User
from tests.factories import AdminFactory, make_incident
from tickets.models import PriorityMatrixEntry


@pytest.fixture
def admin(tenant):
    return AdminFactory()


def matrix_post(**overrides):
    data = {f"cell_{i}_{u}": str(min(5, i + u - 1)) for i in (1, 2, 3) for u in (1, 2, 3)}
    data.update(overrides)
    return data


def test_only_admins_open_settings(tenant, make_client, agent, requester, admin):
    assert make_client(tenant, agent).get("/desk/settings/").status_code == 403
    assert make_client(tenant, requester).get("/desk/settings/").status_code == 403
    response = make_client(tenant, admin).get("/desk/settings/")
    assert response.status_code == 200 and b"Add a person" in response.content


def test_admin_adds_an_agent(tenant, make_client, admin):
    client = make_client(tenant, admin)
    response = client.post("/desk/settings/", {"full_name": "New Agent", "email": "New.Agent@alpha.test", "role": "agent",
                                               "time_zone": "Europe/Paris", "password": ""})
    assert response.status_code == 302
    person = User.objects.get(email="new.agent@alpha.test")
    assert person.role == "agent" and person.time_zone == "Europe/Paris" and not person.has_usable_password()


def test_bad_person_input_shows_errors_and_writes_nothing(tenant, make_client, admin):
    client = make_client(tenant, admin)
    before = User.objects.count()
    response = client.post("/desk/settings/", {"full_name": "X", "email": admin.email, "role": "agent", "password": "123"})
    assert response.status_code == 400
    assert b"already exists" in response.content and b"too short" in response.content
    assert User.objects.count() == before


def test_admin_creates_group_with_members_and_skills(tenant, make_client, admin, agent, requester):
    client = make_client(tenant, admin)
    response = client.post("/desk/settings/groups/new/", {"name": "Network", "skills": "VPN, Wi-Fi, VPN",
                                                         "members": [agent.pk]})
    assert response.status_code == 302
    group = AssignmentGroup.objects.get(name="Network")
    assert list(group.members.all()) == [agent]
    assert sorted(group.skills.values_list("name", flat=True)) == ["VPN", "Wi-Fi"]
    # Requesters are not offered as members, and a duplicate name is refused.
    response = client.post("/desk/settings/groups/new/", {"name": "Desk", "members": [requester.pk]})
    assert response.status_code == 400 and b"Select a valid choice" in response.content
    response = client.post("/desk/settings/groups/new/", {"name": "network", "members": [agent.pk]})
    assert response.status_code == 400 and b"already exists" in response.content
    assert not AssignmentGroup.objects.filter(name="Desk").exists()
    assert AssignmentGroup.objects.filter(name__iexact="network").count() == 1


def test_priority_matrix_edit_changes_new_tickets(tenant, make_client, admin, requester):
    client = make_client(tenant, admin)
    assert client.get("/desk/settings/priority-matrix/").status_code == 200
    response = client.post("/desk/settings/priority-matrix/", matrix_post(cell_1_1="2"))
    assert response.status_code == 302
    assert PriorityMatrixEntry.objects.get(impact=1, urgency=1).priority == 2
    assert make_incident(by=requester, impact=1, urgency=1).priority == 2


def test_priority_matrix_refuses_out_of_range(tenant, make_client, admin):
    client = make_client(tenant, admin)
    response = client.post("/desk/settings/priority-matrix/", matrix_post(cell_2_2="9"))
    assert response.status_code == 400
    assert PriorityMatrixEntry.objects.get(impact=2, urgency=2).priority == 3


def test_other_tenant_admin_sees_none_of_alphas_people(tenant, make_client, other_tenant, in_other_tenant):
    AdminFactory(email="only-in-alpha@alpha.test")
    with in_other_tenant():
        beta_admin = AdminFactory(email="beta-admin@beta.test")
        client = make_client(other_tenant, beta_admin)  # the session is stored in beta's schema
    response = client.get("/desk/settings/")
    assert response.status_code == 200
    assert b"only-in-alpha@alpha.test" not in response.content and b"beta-admin@beta.test" in response.content
