from incidents.models import Incident
from tests.factories import AgentFactory, make_incident


def valid_data(requester, **overrides):
    data = {"requester": requester.pk, "title": "Laptop will not boot", "description": "Black screen **after** update",
            "impact": "2", "urgency": "1", "channel": "phone", "category": "", "assignment_group": "", "assignee": "",
            "parent_number": ""}
    data.update(overrides)
    return data


def test_create_form_renders(agent_client, requester):
    response = agent_client.get("/desk/incidents/new/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("requester", "title", "description", "category", "impact", "urgency", "channel",
                 "assignment_group", "assignee", "is_major", "parent_number"):
        assert f'name="{name}"' in html, name


def test_agent_creates_incident_on_behalf_of_requester(agent_client, agent, requester, group):
    response = agent_client.post("/desk/incidents/new/", valid_data(requester, assignment_group=group.pk,
                                                                    assignee=agent.pk, is_major="on"))
    incident = Incident.objects.get(title="Laptop will not boot")
    assert response.status_code == 302 and response["Location"] == f"/desk/incidents/{incident.number}/"
    assert incident.requester == requester and incident.created_by == agent
    assert incident.priority == 2 and incident.is_major and incident.assignee == agent
    assert "<strong>after</strong>" in incident.description_html


def test_form_errors_are_per_field_and_write_nothing(agent_client, requester):
    before = Incident.objects.count()
    response = agent_client.post("/desk/incidents/new/", valid_data(requester, title="", impact="9",
                                                                    parent_number="INC9999999"))
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"title", "impact", "parent_number"}
    assert "There is no incident INC9999999." in response.content.decode()
    assert Incident.objects.count() == before


def test_service_refusal_is_shown_on_the_field_and_writes_nothing(agent_client, requester, group, tenant):
    from tests.factories import AgentFactory

    outsider = AgentFactory()  # an agent who is not a member of the group
    before = Incident.objects.count()
    response = agent_client.post("/desk/incidents/new/", valid_data(requester, assignment_group=group.pk,
                                                                    assignee=outsider.pk))
    assert response.status_code == 400
    assert "is not a member of" in " ".join(response.context["form"].errors["assignee"])
    assert Incident.objects.count() == before


def test_child_of_a_child_is_refused(agent_client, requester):
    parent = make_incident(by=requester, title="Parent")
    child = make_incident(by=AgentFactory(), requester=requester, title="Child", parent=parent)
    before = Incident.objects.count()
    response = agent_client.post("/desk/incidents/new/", valid_data(requester, parent_number=child.number))
    assert response.status_code == 400
    assert "parent_number" in response.context["form"].errors
    assert Incident.objects.count() == before
