"""The checklist every ticket type's API runs: subclass ``TicketApiBattery`` as ``Test<Type>Api``.

A subclass sets ``endpoint``, ``model``, the payloads and workflow paths, and
implements ``create_ticket``; the tests below then cover list, detail, create,
update with ETag/If-Match, every action (and that the paths cover every
declared transition), refusals, guards, unknown input, query counts and
tenant isolation against that endpoint.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tests.api.helpers import api_client, back_to, error_of
from tests.factories import AgentFactory, GroupFactory


class TicketApiBattery:
    endpoint: str = ""
    model = None
    create_payload: dict = {}
    # One field edit that changes the ticket.
    update_payload: dict = {}
    # Sequences of (action, body, expected state) from a fresh ticket; together they must take every transition.
    paths: list[list[tuple[str, dict, str]]] = []
    # (action, body) refused from a fresh ticket's state with 409.
    refused_from_initial: tuple[str, dict] = ("", {})
    # (action, body, field) refused from a fresh ticket with 400 because `field` is missing.
    guard: tuple[str, dict, str] = ("", {}, "")

    def create_ticket(self, *, by, requester):
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------
    @pytest.fixture
    def agent_api(self, tenant, agent):
        return api_client(tenant, agent)

    def url(self, ticket, suffix: str = "") -> str:
        return f"{self.endpoint}{ticket.number}/{suffix}"

    def action_url(self, ticket, action: str) -> str:
        return self.url(ticket, f"actions/{action}/")

    def snapshot(self, ticket) -> dict:
        fresh = type(ticket).objects.get(pk=ticket.pk)
        return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields if f.name != "updated_at"}

    # -- the checklist -------------------------------------------------------------------------
    def test_paths_cover_every_declared_transition(self):
        taken = {action for path in self.paths for action, _, _ in path}
        assert taken == set(self.model.workflow.by_name)

    def test_list_shows_the_ticket(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        response = agent_api.get(self.endpoint)
        assert response.status_code == 200
        numbers = [row["number"] for row in response.json()["results"]]
        assert ticket.number in numbers

    def test_detail_has_etag_and_number_lookup_only(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        response = agent_api.get(self.url(ticket))
        assert response.status_code == 200
        assert response["ETag"] == f'"{ticket.version}"'
        body = response.json()
        assert body["number"] == ticket.number and body["version"] == ticket.version
        assert agent_api.get(self.endpoint + ticket.number.lower() + "/").status_code == 200
        assert error_of(agent_api.get(f"{self.endpoint}{ticket.pk}/"))["code"] == "not_found"

    def test_if_none_match_gives_304(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        response = agent_api.get(self.url(ticket), HTTP_IF_NONE_MATCH=ticket.etag)
        assert response.status_code == 304

    def test_create(self, agent_api):
        before = self.model.objects.count()
        response = agent_api.post(self.endpoint, self.create_payload)
        assert response.status_code == 201, response.json()
        body = response.json()
        assert response["Location"] == body["url"] and body["url"].endswith(f"/{body['number']}/")
        assert response["ETag"] == f'"{body["version"]}"'
        assert self.model.objects.count() == before + 1

    def test_create_answers_what_a_read_of_the_ticket_answers(self, agent_api, agent):
        """The 201 body is built from the saved ticket, not read back: it must be exactly the detail."""
        group = GroupFactory(name="Battery group")
        group.members.add(agent)
        response = agent_api.post(self.endpoint, {**self.create_payload, "assignment_group": group.pk,
                                                  "assignee": agent.pk})
        assert response.status_code == 201, response.json()
        detail = agent_api.get(response["Location"])
        assert detail.status_code == 200
        assert response.json() == detail.json()
        assert response["ETag"] == detail["ETag"]

    # Statements one create may take, SLA clocks, timeline and notification included; a type whose create
    # does more (an order reads its item's fulfilment template) says how many and why.
    create_statement_budget = 10

    def test_create_query_count_with_an_sla_policy(self, agent_api, agent, django_capture_on_commit_callbacks):
        """At most ``create_statement_budget`` statements, SLA clocks, timeline and notification included, once
        configuration (and the tenant and token lookups: tenants.host_cache, accounts.token_cache) are cached."""
        from sla.models import Calendar, Metric, Policy, Target

        with django_capture_on_commit_callbacks(execute=True):  # the policy is committed configuration
            policy = Policy.objects.create(name="Battery policy", ticket_type=self.model._meta.label_lower, order=1)
            calendar = Calendar.objects.filter(is_24x7=True).first() or Calendar.objects.create(name="24x7", is_24x7=True)
            Target.objects.bulk_create([Target(policy=policy, metric=metric, priority=p, duration_seconds=3600 * p,
                                               calendar=calendar)
                                        for metric in (Metric.RESPONSE, Metric.RESOLUTION) for p in range(1, 6)])
            policy.save()
        group = GroupFactory(name="Battery group")
        group.members.add(agent)
        payload = {**self.create_payload, "assignment_group": group.pk}
        assert agent_api.post(self.endpoint, payload).status_code == 201  # fills this process's caches
        with django_capture_on_commit_callbacks(execute=False) as callbacks, \
                CaptureQueriesContext(connection) as queries:
            response = agent_api.post(self.endpoint, payload)
        assert response.status_code == 201, response.json()
        statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]
        assert len(statements) <= self.create_statement_budget, "\n".join(statements)
        ticket = self.model.objects.get(number=response.json()["number"])
        from sla.models import Clock

        assert Clock.objects.filter(ticket_type=self.model._meta.label_lower, ticket_id=ticket.pk).count() == 2
        assert callbacks, "the notification is enqueued after commit"

    def test_create_refuses_unknown_fields(self, agent_api):
        before = self.model.objects.count()
        response = agent_api.post(self.endpoint, {**self.create_payload, "colour": "red", "state": "closed"})
        assert response.status_code == 400
        body = error_of(response)
        assert set(body["fields"]) == {"colour", "state"}
        assert "colour" in body["detail"] and "state" in body["detail"]
        assert self.model.objects.count() == before

    def test_update_with_matching_if_match(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        response = agent_api.patch(self.url(ticket), self.update_payload, HTTP_IF_MATCH=ticket.etag)
        assert response.status_code == 200, response.json()
        assert response.json()["version"] == ticket.version + 1
        assert response["ETag"] == f'"{ticket.version + 1}"'
        for name, value in self.update_payload.items():
            assert response.json()[name] == value

    def test_if_match_star_and_no_if_match_are_accepted(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        assert agent_api.patch(self.url(ticket), self.update_payload, HTTP_IF_MATCH="*").status_code == 200
        action, body, state = self.paths[0][0]
        response = agent_api.post(self.action_url(ticket, action), body)
        assert response.status_code == 200 and response.json()["state"] == state

    def test_stale_if_match_is_412_and_changes_nothing(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        before = self.snapshot(ticket)
        stale = f'"{ticket.version + 7}"'
        response = agent_api.patch(self.url(ticket), self.update_payload, HTTP_IF_MATCH=stale)
        assert response.status_code == 412
        assert error_of(response)["code"] == "stale_version"
        action, body, _ = self.paths[0][0]
        response = agent_api.post(self.action_url(ticket, action), body, HTTP_IF_MATCH=stale)
        assert response.status_code == 412
        assert self.snapshot(ticket) == before

    def test_malformed_if_match_is_412_and_changes_nothing(self, agent_api, agent, requester):
        # RFC 9110 13.1.1: a condition that names no current entity tag is false: 412, not 400.
        ticket = self.create_ticket(by=agent, requester=requester)
        before = self.snapshot(ticket)
        for header in ("W/xyz, 12", '"3', "", "yesterday"):
            response = agent_api.patch(self.url(ticket), self.update_payload, HTTP_IF_MATCH=header)
            assert response.status_code == 412, header
            body = error_of(response)
            assert body["code"] == "invalid_precondition" and "If-Match" in body["fields"], header
        assert self.snapshot(ticket) == before

    def test_if_match_list_matches_any_strong_etag(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        weak_only = agent_api.patch(self.url(ticket), self.update_payload, HTTP_IF_MATCH=f"W/{ticket.etag}")
        assert weak_only.status_code == 412 and error_of(weak_only)["code"] == "stale_version"
        listed = f'"{ticket.version + 5}", W/"x", {ticket.etag}'
        response = agent_api.patch(self.url(ticket), self.update_payload, HTTP_IF_MATCH=listed)
        assert response.status_code == 200, response.json()
        assert response.json()["version"] == ticket.version + 1

    def test_update_refuses_unknown_and_read_only_fields(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        before = self.snapshot(ticket)
        response = agent_api.patch(self.url(ticket), {**self.update_payload, "state": "closed", "bogus": 1})
        assert response.status_code == 400
        assert set(error_of(response)["fields"]) == {"state", "bogus"}
        assert self.snapshot(ticket) == before

    def test_every_action_along_the_paths(self, agent_api, agent, requester):
        for path in self.paths:
            ticket = self.create_ticket(by=agent, requester=requester)
            version = ticket.version
            for action, body, state in path:
                response = agent_api.post(self.action_url(ticket, action), body, HTTP_IF_MATCH=f'"{version}"')
                assert response.status_code == 200, (action, response.json())
                data = response.json()
                assert data["state"] == state and data["version"] == version + 1
                assert response["ETag"] == f'"{version + 1}"'
                version += 1

    def test_refused_action_is_409_and_changes_nothing(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        before = self.snapshot(ticket)
        action, body = self.refused_from_initial
        response = agent_api.post(self.action_url(ticket, action), body)
        assert response.status_code == 409
        body = error_of(response)
        assert body["code"] == "invalid_transition" and "Cannot" in body["detail"]
        assert self.snapshot(ticket) == before

    def test_actions_after_a_final_state_are_409(self, agent_api, agent, requester):
        path = self.paths[0]
        ticket = self.create_ticket(by=agent, requester=requester)
        for action, body, _ in path:
            assert agent_api.post(self.action_url(ticket, action), body).status_code == 200
        before = self.snapshot(ticket)
        for action, body, _ in path:
            assert agent_api.post(self.action_url(ticket, action), body).status_code == 409
        assert self.snapshot(ticket) == before

    def test_guard_missing_field_is_400_with_field_error(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        before = self.snapshot(ticket)
        action, body, field = self.guard
        response = agent_api.post(self.action_url(ticket, action), body)
        assert response.status_code == 400
        assert field in error_of(response)["fields"]
        assert self.snapshot(ticket) == before

    def test_action_refuses_fields_it_does_not_take(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        action, body, _ = self.paths[0][0]
        response = agent_api.post(self.action_url(ticket, action), {**body, "title": "sneaky"})
        assert response.status_code == 400
        assert "title" in error_of(response)["fields"]
        assert self.snapshot(ticket)["title"] == ticket.title

    def test_unknown_action_is_404(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        response = agent_api.post(self.action_url(ticket, "explode"), {})
        assert response.status_code == 404
        assert "Known actions" in error_of(response)["detail"]

    def test_requester_cannot_patch(self, tenant, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        before = self.snapshot(ticket)
        response = api_client(tenant, requester).patch(self.url(ticket), self.update_payload)
        assert response.status_code == 403
        assert error_of(response)["code"] == "permission_denied"
        assert self.snapshot(ticket) == before

    def test_list_query_count_is_small_and_constant(self, tenant, agent_api, agent, requester):
        for _ in range(12):
            self.create_ticket(by=agent, requester=requester)
        for client in (agent_api, api_client(tenant, requester)):
            client.get(self.endpoint)  # warm up: the host's tenant and the token cached, its last-use stamp
            counts = {}
            for size in (5, 50):
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(self.endpoint, {"page_size": size})
                assert response.status_code == 200
                assert len(response.json()["results"]) == min(size, 12)
                counts[size] = len(queries)
            assert counts[5] == counts[50] <= 2, counts  # the tenant's SET search_path, the page's rows

    def test_list_rows_are_what_the_serializer_gives(self, tenant, agent_api, agent, requester, monkeypatch):
        """The list builds rows from values (tickets.api.rows): the same JSON as the serializer, field for field."""
        from tickets import types
        from tickets.api import base
        from tickets.models import Category

        compiled = []

        def spy(*args, **kwargs):
            compiled.append(rows := compile_rows(*args, **kwargs))
            return rows

        compile_rows = base.compile_rows
        monkeypatch.setattr(base, "compile_rows", spy)
        group = GroupFactory(name="Rows group")
        group.members.add(agent)
        parent = Category.objects.create(name="Rows parent")
        child = Category.objects.create(name="Rows child", parent=parent)
        plain = self.create_ticket(by=agent, requester=requester)
        worked = self.create_ticket(by=agent, requester=requester)
        ticket_type = types.for_model(self.model)
        ticket_type.update(worked, by=agent, changes={"assignment_group": group, "assignee": agent, "category": child},
                           expected_version=None)
        for action, body, _ in self.paths[0][:2]:
            assert agent_api.post(self.action_url(worked, action), body).status_code == 200
        queries = ({}, {"page_size": 1}, {"state": self.model.workflow.initial}, {"assignment_group": group.pk})
        for client in (agent_api, api_client(tenant, requester)):
            fast = [client.get(self.endpoint, query) for query in queries]
            with monkeypatch.context() as patched:
                patched.setattr(base, "compile_rows", lambda *args, **kwargs: None)
                slow = [client.get(self.endpoint, query) for query in queries]
            for query, fast_response, slow_response in zip(queries, fast, slow):
                assert fast_response.status_code == slow_response.status_code == 200
                assert fast_response.json() == slow_response.json(), query
                assert fast_response.content == slow_response.content, query
            numbers = {row["number"] for row in fast[0].json()["results"]}
            assert {plain.number, worked.number} <= numbers
        assert compiled and None not in compiled, "every registered type's list must compile"

    def test_detail_query_count(self, agent_api, agent, requester, django_assert_max_num_queries):
        ticket = self.create_ticket(by=agent, requester=requester)
        agent_api.get(self.url(ticket))
        with django_assert_max_num_queries(2):  # the tenant's SET search_path, the ticket
            assert agent_api.get(self.url(ticket)).status_code == 200

    def test_tenant_and_token_lookups_are_queries_only_on_a_cold_cache(self, tenant, agent_api, agent, requester):
        """The host's tenant and the token's user come from the shared cache (tenants.host_cache,
        accounts.token_cache); with no current entry (after a change) each is one query again."""
        from accounts import token_cache
        from tenants import host_cache

        ticket = self.create_ticket(by=agent, requester=requester)
        agent_api.get(self.url(ticket))
        runs = {}
        for temperature in ("warm", "cold", "warm again"):
            if temperature == "cold":
                host_cache.cache.bump(host_cache.SCOPE)
                token_cache.cache.bump(tenant.schema_name)
            with CaptureQueriesContext(connection) as queries:
                assert agent_api.get(self.url(ticket)).status_code == 200
            runs[temperature] = [q["sql"] for q in queries.captured_queries]
        for temperature, statements in runs.items():
            lookups = [s for s in statements if "tenants_domain" in s or "accounts_apitoken" in s]
            assert len(lookups) == (2 if temperature == "cold" else 0), (temperature, statements)
        assert len(runs["cold"]) == len(runs["warm"]) + 3  # the two lookups and public's SET search_path
        assert runs["warm again"] == runs["warm"]

    def test_other_tenant_cannot_see_or_touch_it(self, tenant, other_tenant, agent, requester):
        def exists_in_beta(number):
            with schema_context(other_tenant.schema_name):
                return self.model.objects.filter(number=number).exists()

        ticket = self.create_ticket(by=agent, requester=requester)
        while exists_in_beta(ticket.number):  # numbers are per tenant: use one that only alpha has
            ticket = self.create_ticket(by=agent, requester=requester)
        with schema_context(other_tenant.schema_name):
            beta_agent = AgentFactory(email="beta-battery-agent@example.test")
        before = self.snapshot(ticket)
        beta = api_client(other_tenant, beta_agent)
        assert beta.get(self.url(ticket)).status_code == 404
        assert beta.patch(self.url(ticket), self.update_payload).status_code == 404
        action, body, _ = self.paths[0][0]
        assert beta.post(self.action_url(ticket, action), body).status_code == 404
        assert beta.post(self.url(ticket, "comments/"), {"body": "hello"}).status_code == 404
        assert beta.get(self.url(ticket, "timeline/")).status_code == 404
        listed = beta.get(self.endpoint).json()["results"]
        assert ticket.number not in [row["number"] for row in listed]
        back_to(tenant)
        assert self.snapshot(ticket) == before

    def test_alpha_credentials_do_not_work_on_beta_host(self, tenant, other_tenant, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        for auth in ("token", "session"):
            client = api_client(tenant, agent, auth=auth)
            client.defaults["HTTP_HOST"] = api_client(other_tenant).defaults["HTTP_HOST"]
            response = client.get(self.endpoint)
            assert response.status_code in (401, 403), auth
            error_of(response)
            assert client.post(self.action_url(ticket, self.paths[0][0][0]), self.paths[0][0][1]).status_code in (401, 403)
        back_to(tenant)

    # -- links ---------------------------------------------------------------------------------
    def ticket_beta_does_not_have(self, *, by, requester, other_tenant):
        """Numbers are per tenant: one only alpha has, so beta's 404 means isolation."""
        while True:
            ticket = self.create_ticket(by=by, requester=requester)
            with schema_context(other_tenant.schema_name):
                if not self.model.objects.filter(number=ticket.number).exists():
                    return ticket

    def link_count(self) -> int:
        from tickets.models import TicketLink

        return TicketLink.objects.count()

    def test_links_add_list_and_remove_from_either_side(self, agent_api, agent, requester):
        cause = self.create_ticket(by=agent, requester=requester)
        effect = self.create_ticket(by=agent, requester=requester)
        response = agent_api.post(self.url(effect, "links/"), {"kind": "caused_by", "number": cause.number.lower()})
        assert response.status_code == 201, response.json()
        created = response.json()
        assert (created["kind"], created["kind_label"]) == ("caused_by", "caused by")
        assert created["ticket"]["number"] == cause.number and created["ticket"]["title"] == cause.title
        assert created["ticket"]["state"] == cause.state and created["created_by"]["id"] == agent.pk
        assert created["ticket"]["url"].endswith(self.url(cause))
        [seen_from_cause] = agent_api.get(self.url(cause, "links/")).json()
        assert (seen_from_cause["id"], seen_from_cause["kind"], seen_from_cause["ticket"]["number"]) == (
            created["id"], "causes", effect.number)
        timeline = agent_api.get(self.url(cause, "timeline/")).json()["results"]
        assert [(e["data"]["action"], e["data"]["label"], e["data"]["number"]) for e in timeline
                if e["kind"] == "link"] == [("linked", "causes", effect.number)]
        assert agent_api.delete(self.url(cause, f"links/{created['id']}/")).status_code == 204
        assert agent_api.get(self.url(effect, "links/")).json() == []
        assert self.link_count() == 0

    @pytest.mark.parametrize("case", ["itself", "unknown_number", "foreign_prefix", "unknown_kind", "missing",
                                      "unknown_field", "wrong_types"])
    def test_link_bad_input_is_400_with_the_field_and_writes_nothing(self, agent_api, agent, requester, case):
        ticket = self.create_ticket(by=agent, requester=requester)
        other = self.create_ticket(by=agent, requester=requester)
        body, field = {
            "itself": ({"kind": "related_to", "number": ticket.number}, "number"),
            "unknown_number": ({"kind": "related_to", "number": f"{self.model.NUMBER_PREFIX}9999999"}, "number"),
            "foreign_prefix": ({"kind": "related_to", "number": "ZZZ0001001"}, "number"),
            "unknown_kind": ({"kind": "blocks", "number": other.number}, "kind"),
            "missing": ({"number": other.number}, "kind"),
            "unknown_field": ({"kind": "related_to", "number": other.number, "note": "x"}, "note"),
            "wrong_types": ({"kind": "related_to", "number": 1001}, "number"),
        }[case]
        response = agent_api.post(self.url(ticket, "links/"), body)
        assert response.status_code == 400, response.json()
        assert field in error_of(response)["fields"]
        assert self.link_count() == 0

    def test_duplicate_link_is_400_from_either_side(self, agent_api, agent, requester):
        parent = self.create_ticket(by=agent, requester=requester)
        child = self.create_ticket(by=agent, requester=requester)
        assert agent_api.post(self.url(parent, "links/"), {"kind": "parent_of", "number": child.number}).status_code == 201
        for ticket, body in ((parent, {"kind": "parent_of", "number": child.number}),
                             (child, {"kind": "child_of", "number": parent.number}),
                             (child, {"kind": "parent_of", "number": parent.number})):
            response = agent_api.post(self.url(ticket, "links/"), body)
            assert response.status_code == 400, body
            assert "already linked" in error_of(response)["fields"]["number"][0]
        assert self.link_count() == 1

    def test_link_kind_that_does_not_fit_the_types_is_400(self, agent_api, agent, requester):
        from tickets.links import kinds

        # A kind only some other type may stand on the source side of (as "problem of incident" will be).
        kinds.register(kinds.LinkKind("battery_fix_for", "battery fix for", "battery fixed by",
                                      source_types={"tests.no_such_type"}))
        try:
            a = self.create_ticket(by=agent, requester=requester)
            b = self.create_ticket(by=agent, requester=requester)
            response = agent_api.post(self.url(a, "links/"), {"kind": "battery_fix_for", "number": b.number})
            assert response.status_code == 400
            assert "cannot be battery fix for" in error_of(response)["fields"]["kind"][0]
            # Read from the other side the same kind fits no better.
            response = agent_api.post(self.url(b, "links/"), {"kind": "battery_fixed_by", "number": a.number})
            assert response.status_code == 400 and "kind" in error_of(response)["fields"]
        finally:
            kinds.unregister("battery_fix_for")
        assert self.link_count() == 0

    def test_link_to_a_deleted_ticket_is_400(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        deleted = self.create_ticket(by=agent, requester=requester)
        self.model.objects.filter(pk=deleted.pk).delete()
        response = agent_api.post(self.url(ticket, "links/"), {"kind": "related_to", "number": deleted.number})
        assert response.status_code == 400
        assert error_of(response)["fields"] == {"number": [f"There is no ticket {deleted.number}."]}
        assert self.link_count() == 0

    def test_removing_a_link_of_another_ticket_or_none_is_404(self, agent_api, agent, requester):
        a, b, c = (self.create_ticket(by=agent, requester=requester) for _ in range(3))
        link_id = agent_api.post(self.url(a, "links/"), {"kind": "related_to", "number": b.number}).json()["id"]
        for ticket, some_id in ((c, link_id), (a, link_id + 1000)):
            response = agent_api.delete(self.url(ticket, f"links/{some_id}/"))
            assert response.status_code == 404 and error_of(response)["code"] == "not_found"
        assert self.link_count() == 1

    def test_requester_cannot_list_add_or_remove_links(self, tenant, agent_api, agent, requester):
        a = self.create_ticket(by=agent, requester=requester)
        b = self.create_ticket(by=agent, requester=requester)
        link_id = agent_api.post(self.url(a, "links/"), {"kind": "related_to", "number": b.number}).json()["id"]
        own = api_client(tenant, requester)
        for response in (own.get(self.url(a, "links/")),
                         own.post(self.url(a, "links/"), {"kind": "causes", "number": b.number}),
                         own.delete(self.url(a, f"links/{link_id}/"))):
            assert response.status_code == 403 and error_of(response)["code"] == "permission_denied"
        assert self.link_count() == 1
        # Nor do links show on the requester's timeline (they would name tickets the requester cannot see).
        timeline = own.get(self.url(a, "timeline/")).json()["results"]
        assert timeline and "link" not in [entry["kind"] for entry in timeline]

    def test_links_query_count_does_not_grow_with_links(self, agent_api, agent, requester):
        ticket = self.create_ticket(by=agent, requester=requester)
        counts = {}
        for total in (1, 6):
            while self.link_count() < total:
                other = self.create_ticket(by=agent, requester=requester)
                agent_api.post(self.url(ticket, "links/"), {"kind": "parent_of", "number": other.number})
            agent_api.get(self.url(ticket, "links/"))
            with CaptureQueriesContext(connection) as queries:
                response = agent_api.get(self.url(ticket, "links/"))
            assert len(response.json()) == total
            counts[total] = len(queries)
        assert counts[1] == counts[6] <= 4, counts

    def test_other_tenant_cannot_list_add_or_remove_links(self, tenant, other_tenant, agent, requester, agent_api):
        with schema_context(other_tenant.schema_name):  # first, so that beta's numbers cannot reach alpha's below
            beta_agent = AgentFactory(email="beta-links-agent@example.test")
            beta_ticket = self.create_ticket(by=beta_agent, requester=beta_agent)
        ticket = self.ticket_beta_does_not_have(by=agent, requester=requester, other_tenant=other_tenant)
        other = self.create_ticket(by=agent, requester=requester)
        link_id = agent_api.post(self.url(ticket, "links/"), {"kind": "related_to", "number": other.number}).json()["id"]
        beta = api_client(other_tenant, beta_agent)
        assert beta.get(self.url(ticket, "links/")).status_code == 404
        assert beta.post(self.url(ticket, "links/"), {"kind": "causes", "number": beta_ticket.number}).status_code == 404
        assert beta.delete(self.url(ticket, f"links/{link_id}/")).status_code == 404
        # Nor can beta link its own ticket to alpha's number: it does not exist there.
        response = beta.post(self.url(beta_ticket, "links/"), {"kind": "related_to", "number": ticket.number})
        assert response.status_code == 400 and "number" in error_of(response)["fields"]
        with schema_context(other_tenant.schema_name):
            assert self.link_count() == 0
        back_to(tenant)
        assert self.link_count() == 1


    def test_detail_rows_are_what_the_serializer_gives(self, tenant, agent_api, agent, requester, monkeypatch):
        """The detail builds its body from a value row like the list (tickets.api.rows): same bytes, same ETag,
        the same 304 and 404, and no model instance built."""
        from tickets import types
        from tickets.api import base
        from tickets.models import Category

        group = GroupFactory(name="Detail rows group")
        group.members.add(agent)
        child = Category.objects.create(name="Detail child", parent=Category.objects.create(name="Detail parent"))
        plain = self.create_ticket(by=agent, requester=requester)
        worked = self.create_ticket(by=agent, requester=requester)
        types.for_model(self.model).update(worked, by=agent, expected_version=None,
                                           changes={"assignment_group": group, "assignee": agent, "category": child})
        for client in (agent_api, api_client(tenant, requester)):
            for ticket in (plain, worked):
                built = []
                monkeypatch.setattr(self.model, "from_db", classmethod(
                    lambda cls, *args, _original=self.model.from_db.__func__: built.append(1) or _original(cls, *args)))
                fast = client.get(self.url(ticket))
                monkeypatch.undo()
                assert fast.status_code == 200 and not built, "the detail built a model instance"
                with monkeypatch.context() as patched:
                    patched.setattr(base, "compile_rows", lambda *args, **kwargs: None)
                    slow = client.get(self.url(ticket))
                assert fast.content == slow.content and fast["ETag"] == slow["ETag"]
                unchanged = client.get(self.url(ticket), HTTP_IF_NONE_MATCH=fast["ETag"])
                assert unchanged.status_code == 304 and unchanged["ETag"] == fast["ETag"] and not unchanged.content
        missing = agent_api.get(self.endpoint + f"{self.model.NUMBER_PREFIX}9999999/")
        assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
