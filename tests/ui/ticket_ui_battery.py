"""The checklist every ticket type's desk and portal run: subclass ``TicketUiBattery`` as ``Test<Type>Ui``.

The API battery's twin for the server-rendered pages that tickets/ serves for every registered
type: queue with filters and counters, detail, create (with its refusals), edit with a stale
version, each action along the type's paths, reply and work note, watch, assign to me, portal
visibility and tenant isolation, and the query counts of the queue and the detail page.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AgentFactory
from tickets import types
from tickets.models import TimelineEntry


def numbers_in(response) -> set[str]:
    return set(re.findall(r'class="ticket-link" href="[^"]+">([A-Z]+\d+)<', response.content.decode()))


class TicketUiBattery:
    model = None
    # POST data for the desk's create page, beyond requester (added by the battery).
    create_form: dict = {}
    # One edit panel change: (field, value, expected attribute value).
    edit_change: tuple = ("title", "Renamed in the battery", "Renamed in the battery")
    # (action, form data without the prefix) sequences from a fresh ticket; together every transition.
    paths: list[list[tuple[str, dict]]] = []
    # (action, data, field) refused from a fresh ticket with a form error on ``field``.
    guard: tuple[str, dict, str] = ("", {}, "")

    def create_ticket(self, *, by, requester, **fields):
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------------------
    @property
    def ticket_type(self):
        return types.for_model(self.model)

    def queue_url(self, query: str = "") -> str:
        return f"/desk/{self.ticket_type.slug}/{query}"

    def url(self, ticket, suffix: str = "") -> str:
        return f"/desk/{self.ticket_type.slug}/{ticket.number}/{suffix}"

    def fresh(self, ticket):
        return type(ticket).objects.get(pk=ticket.pk)

    def kinds(self, ticket) -> list[str]:
        return list(TimelineEntry.objects.filter(ticket_type=ticket._meta.label_lower, ticket_id=ticket.pk)
                    .order_by("id").values_list("kind", flat=True))

    @pytest.fixture
    def agent_client(self, make_client, tenant, agent):
        return make_client(tenant, agent)

    # -- the checklist ---------------------------------------------------------------------------
    def test_paths_cover_every_declared_transition(self):
        assert {action for path in self.paths for action, _ in path} == set(self.model.workflow.by_name)

    def test_navigation_links_the_queue(self, agent_client):
        html = agent_client.get(self.queue_url()).content.decode()
        assert f'href="{self.queue_url()}" aria-current="page">{self.ticket_type.plural}<' in html

    def test_queue_lists_open_tickets_with_counters(self, agent_client, agent, requester):
        mine = self.create_ticket(by=agent, requester=requester, assignee=agent)
        other = self.create_ticket(by=agent, requester=requester)
        response = agent_client.get(self.queue_url())
        assert response.status_code == 200
        assert {mine.number, other.number} <= numbers_in(response)
        counters = response.context["counters"]
        assert (counters["open"], counters["mine"], counters["unassigned"]) == (2, 1, 1)

    def test_queue_filters_sorts_and_searches(self, agent_client, agent, requester):
        mine = self.create_ticket(by=agent, requester=requester, assignee=agent, title="Battery needle in a haystack")
        other = self.create_ticket(by=agent, requester=requester, title="Something else entirely")
        assert numbers_in(agent_client.get(self.queue_url("?mine=true"))) == {mine.number}
        assert numbers_in(agent_client.get(self.queue_url("?q=needle"))) == {mine.number}
        assert numbers_in(agent_client.get(self.queue_url(f"?q={other.number.lower()}"))) == {other.number}
        for sort in ("priority", "-opened", "number", "-updated"):
            assert agent_client.get(self.queue_url(f"?sort={sort}")).status_code == 200
        refused = agent_client.get(self.queue_url("?unassigned=maybe"))
        assert refused.status_code == 200 and "Some filters were ignored" in refused.content.decode()

    def test_queue_shows_the_columns_the_type_declares(self, agent_client, agent, requester):
        self.create_ticket(by=agent, requester=requester)
        html = agent_client.get(self.queue_url()).content.decode()
        for column in self.ticket_type.extra_columns:
            assert f'<th scope="col">{column.label}</th>' in html
        assert ('<th scope="col">Requester</th>' in html) == ("requester" in self.ticket_type.columns)

    def test_htmx_gets_the_rows_only(self, agent_client, agent, requester):
        self.create_ticket(by=agent, requester=requester)
        response = agent_client.get(self.queue_url(), HTTP_HX_REQUEST="true")
        assert "<html" not in response.content.decode() and "HX-Request" in response["Vary"]

    def test_queue_query_count_does_not_grow_with_the_page(self, agent_client, agent, requester):
        def count(rows: int) -> int:
            while self.model.objects.count() < rows:
                self.create_ticket(by=agent, requester=requester)
            with CaptureQueriesContext(connection) as queries:
                assert agent_client.get(self.queue_url("?per_page=50")).status_code == 200
            return len(queries)

        agent_client.get(self.queue_url())  # the host's tenant is then cached (tenants.host_cache)
        assert count(3) == count(12)

    def test_detail_query_count_does_not_grow_with_the_timeline(self, agent_client, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert agent_client.get(self.url(ticket)).status_code == 200
            return len(queries)

        agent_client.get(self.url(ticket))  # the host's tenant is then cached (tenants.host_cache)
        before = count()
        for n in range(5):
            self.ticket_type.comment(self.fresh(ticket), by=agent, body=f"Note {n}", is_public=False)
        assert count() == before

    def test_create_and_its_refusal(self, agent_client, agent, requester):
        before = self.model.objects.count()
        refused = agent_client.post(self.queue_url("new/"), {**self.create_form, "requester": requester.pk, "title": " "})
        assert refused.status_code == 400 and self.model.objects.count() == before
        response = agent_client.post(self.queue_url("new/"), {**self.create_form, "requester": requester.pk})
        assert response.status_code == 302, response.context["form"].errors
        created = self.model.objects.get(number=response["Location"].rstrip("/").rsplit("/", 1)[1])
        assert created.created_by_id == agent.pk and self.kinds(created) == ["created"]

    def test_detail_shows_the_ticket_and_its_actions(self, agent_client, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        response = agent_client.get(self.url(ticket).lower())
        html = response.content.decode()
        assert response.status_code == 200 and ticket.title in html
        from tickets import guards

        for transition in self.model.workflow.available(ticket.state):
            if guards.refusal(transition, self.fresh(ticket)):  # a guarded step is shown disabled, with why
                assert f'aria-describedby="blocked-{transition.name}"' in html
            else:
                assert f'action="{self.url(ticket)}actions/{transition.name}/"' in html
        assert agent_client.get(f"/desk/{self.ticket_type.slug}/{self.model.NUMBER_PREFIX}9999999/").status_code == 404

    def test_edit_and_stale_edit(self, agent_client, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        form = self.ticket_type.fields_form.for_ticket(ticket)
        data = {name: ("" if value is None else value) for name, value in form.initial.items()}
        data = {k: v for k, v in data.items() if v is not False}
        field, value, expected = self.edit_change
        response = agent_client.post(self.url(ticket, "edit/"), {**data, field: value})
        assert response.status_code == 302
        assert getattr(self.fresh(ticket), field) == expected and "field_change" in self.kinds(ticket)
        stale = agent_client.post(self.url(ticket, "edit/"), {**data, field: "Lost update"})
        assert stale.status_code == 409 and "changed by someone else" in stale.content.decode()
        assert getattr(self.fresh(ticket), field) == expected

    def test_every_action_along_the_paths(self, agent_client, agent, requester):
        for path in self.paths:
            ticket = self.create_ticket(by=agent, requester=requester)
            for action, data in path:
                transition = self.model.workflow.by_name[action]
                fresh = self.fresh(ticket)
                response = agent_client.post(self.url(ticket, f"actions/{action}/"), {
                    f"{action}-version": fresh.version, **{f"{action}-{k}": v for k, v in data.items()}})
                assert response.status_code == 302, (action, response.content.decode()[:2000])
                assert self.fresh(ticket).state == transition.target, action

    def test_guard_is_a_form_error_and_changes_nothing(self, agent_client, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        for action, data in self.guard_path_prefix:
            agent_client.post(self.url(ticket, f"actions/{action}/"), {f"{action}-{k}": v for k, v in data.items()})
        action, data, field = self.guard
        before = self.fresh(ticket)
        response = agent_client.post(self.url(ticket, f"actions/{action}/"),
                                     {f"{action}-{k}": v for k, v in data.items()})
        assert response.status_code == 400
        assert field in [f for form in response.context["action_forms"] if form.transition.name == action
                         for f in form.errors]
        assert (self.fresh(ticket).state, self.fresh(ticket).version) == (before.state, before.version)

    guard_path_prefix: list[tuple[str, dict]] = []

    def test_reply_and_work_note(self, agent_client, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        assert agent_client.post(self.url(ticket, "comment/"), {"body": "Public", "kind": "reply"}).status_code == 302
        assert agent_client.post(self.url(ticket, "comment/"), {"body": "Inside", "kind": "work_note"}).status_code == 302
        assert self.kinds(ticket)[-2:] == ["reply", "work_note"]
        assert agent_client.post(self.url(ticket, "comment/"), {"body": " ", "kind": "reply"}).status_code == 400

    def test_watch_and_assign_to_me(self, agent_client, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        agent_client.post(self.url(ticket, "watch/"), {"watch": "1"})
        assert list(self.fresh(ticket).watchers.all()) == [agent]
        agent_client.post(self.url(ticket, "assign-to-me/"), {"version": self.fresh(ticket).version})
        assert self.fresh(ticket).assignee_id == agent.pk

    def test_requesters_get_no_desk(self, make_client, tenant, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        client = make_client(tenant, requester)
        assert client.get(self.queue_url()).status_code == 403
        assert client.get(self.url(ticket)).status_code == 403

    def test_portal_shows_own_tickets_of_portal_types_only(self, make_client, tenant, agent, requester):
        from tests.factories import RequesterFactory

        ticket = self.create_ticket(by=agent, requester=requester)
        own = make_client(tenant, requester).get(f"/portal/tickets/{ticket.number}/")
        stranger = make_client(tenant, RequesterFactory()).get(f"/portal/tickets/{ticket.number}/")
        listed = ticket.number in make_client(tenant, requester).get("/portal/tickets/?show=all").content.decode()
        if self.ticket_type.in_portal:
            assert own.status_code == 200 and listed
        else:
            assert own.status_code == 404 and not listed
        assert stranger.status_code == 404

    def test_other_tenant_cannot_see_or_touch_it(self, make_client, tenant, other_tenant, in_other_tenant,
                                                 agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester, title="Alpha only battery ticket")
        with in_other_tenant():
            beta_agent = AgentFactory()
        beta = make_client(other_tenant)
        with in_other_tenant():
            beta.force_login(beta_agent)
        queue = beta.get(self.queue_url(f"?state=any&q={ticket.number}")).content.decode()
        assert "Alpha only battery ticket" not in queue
        assert beta.get(self.url(ticket)).status_code == 404
        assert beta.post(self.url(ticket, "comment/"), {"body": "From beta", "kind": "reply"}).status_code == 404
        assert beta.post(self.url(ticket, "edit/"), {"title": "Changed by beta"}).status_code == 404
        action = self.paths[0][0][0]
        assert beta.post(self.url(ticket, f"actions/{action}/")).status_code == 404
        connection.set_tenant(tenant)
        fresh = self.fresh(ticket)
        assert (fresh.title, fresh.state, fresh.version) == ("Alpha only battery ticket", ticket.state, ticket.version)
