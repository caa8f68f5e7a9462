"""The agent queue's HTML, pinned to a reference recorded before its rendering was optimised.

Every registered ticket type's queue is rendered from fixed data at a frozen instant, for an agent
in New York (the data spans the start of US daylight saving time), and the page's own content
(``<main>``: counters, filter bar, results, rows, pager) is compared with
``reference/queue_<type slug>.html``. The rows cover every variant of every column: unassigned,
assigned to a group only, to a person, to a person without a name; every priority; each SLA badge
tone (ok, warning, breached, paused, met, breached and paused, breached earlier, met after a
re-target, stopped breached, cancelled left out, several clocks, an office-hours calendar); row tags;
categories; a long title with characters that must be escaped; a requester in another time zone;
and ages from minutes to weeks. Beside the default page: an htmx refresh with another sort, a
refused filter and a second page, and an empty result.

What varies between runs is replaced before comparing: ticket numbers (sequences are not rolled
back with the test), primary keys in the filter options, the CSRF token. Runs of whitespace are
collapsed, and whitespace around block and table tags is dropped (the browser ignores both);
anything else (text, attributes and their order, element order) must match exactly.

To re-record after an intended change of the page: ``RECORD_QUEUE_REFERENCE=1 pytest tests/ui/test_queue_reference.py``,
then review the diff of the reference files like any other change.
"""

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AssignmentGroup, User
from incidents import services as incident_services
from sla.models import Calendar, Clock, Metric, Policy
from tests.factories import AgentFactory, GroupFactory, RequesterFactory, make_incident, make_problem, problem_to
from tests.sla.conftest import office_hours
from tickets import types
from tickets.models import Category

REFERENCE = Path(__file__).parent / "reference"
RECORD = os.environ.get("RECORD_QUEUE_REFERENCE") == "1"
# A Tuesday, 11:00 in New York (EDT since Sunday the 8th; the oldest rows were opened under EST).
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
HOUR = 3600

BLOCK_TAGS = ("html", "head", "body", "main", "header", "nav", "section", "div", "form", "fieldset", "legend",
              "table", "thead", "tbody", "tr", "th", "td", "select", "option", "h1", "h2", "p", "ul", "li")
_AROUND_BLOCK = re.compile(r"\s*(</?(?:%s)\b[^>]*>)\s*" % "|".join(BLOCK_TAGS))
_BREAK_BEFORE = re.compile(r"(<(?:%s)\b)" % "|".join(("div", "form", "fieldset", "table", "thead", "tbody", "tr",
                                                    "th", "td", "select", "option", "nav", "h1")))


def normalise(html: str) -> str:
    """Whitespace as the browser reads it, one block or table element per line (for readable diffs)."""
    html = re.sub(r"\s+", " ", html)
    html = _AROUND_BLOCK.sub(r"\1", html)
    return _BREAK_BEFORE.sub(r"\n\1", html).strip() + "\n"


def main_of(html: str) -> str:
    start = html.index('<main id="main" class="desk-main">')
    return html[start:html.index("</main>", start) + len("</main>")]


class Stable:
    """Replaces what differs between runs with names that do not."""

    def __init__(self):
        self.numbers: dict[str, str] = {}

    def ticket(self, ticket, name: str):
        self.numbers[ticket.number] = f"{type(ticket).NUMBER_PREFIX}[{name}]"
        return ticket

    def __call__(self, html: str) -> str:
        for number, name in self.numbers.items():
            html = html.replace(number, name)
        html = re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": "[csrf]"', html)
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value="[csrf]"', html)
        groups = {str(pk): name for pk, name in AssignmentGroup.objects.values_list("pk", "name")}
        people = {str(pk): email for pk, email in User.objects.values_list("pk", "email")}
        html = self._options(html, "f-group", groups)
        html = self._options(html, "f-assignee", people)
        # Filters by group or person in query strings (the poller's, the pager's).
        return re.sub(r"\b(assignment_group|assignee)=(\d+)",
                      lambda m: f"{m[1]}=[{(groups if m[1] == 'assignment_group' else people)[m[2]]}]", html)

    @staticmethod
    def _options(html: str, select_id: str, names: dict[str, str]) -> str:
        match = re.search(rf'<select id="{select_id}"[^>]*>.*?</select>', html, re.S)
        if match is None:
            return html
        options = re.sub(r'<option value="(\d+)"', lambda m: f'<option value="[{names[m[1]]}]"', match[0])
        return html[:match.start()] + options + html[match.end():]


def at(moment):
    return time_machine.travel(moment, tick=False)


def clock(ticket, policy, calendar, *, metric=Metric.RESOLUTION, target=4 * HOUR, due_in, state="running",
          outcome="", pauses=(), stopped_ago=None, breached_ago=None, first_breached_ago=None):
    """A clock as the engine leaves it, measured from NOW (``due_in`` negative: past its deadline)."""
    deadline = NOW + due_in
    return Clock.objects.create(
        ticket_type=ticket._meta.label_lower, ticket_id=ticket.pk, metric=metric, policy=policy, calendar=calendar,
        priority=ticket.priority, target_seconds=target, started_at=deadline - timedelta(seconds=target),
        deadline=deadline, state=state, outcome=outcome, pauses=[list(p) for p in pauses],
        stopped_at=NOW - stopped_ago if stopped_ago is not None else None,
        breached_at=NOW - breached_ago if breached_ago is not None else None,
        first_breached_at=NOW - (first_breached_ago or breached_ago) if (first_breached_ago or breached_ago) else None)


@pytest.fixture
def people(tenant):
    with at(NOW - timedelta(days=30)):
        viewer = AgentFactory(email="viewer@alpha.test", full_name="Vera Viewer", time_zone="America/New_York")
        colleague = AgentFactory(email="colleague@alpha.test", full_name="Carl Colleague")
        nameless = AgentFactory(email="no.name@alpha.test", full_name="")
        desk = GroupFactory(name="Service desk")
        network = GroupFactory(name="Network & <Wi-Fi>")
        desk.members.add(viewer, colleague, nameless)
        network.members.add(colleague)
        return {
            "viewer": viewer, "colleague": colleague, "nameless": nameless, "desk": desk, "network": network,
            "requester": RequesterFactory(email="rita@alpha.test", full_name="Rita Requester"),
            "far_away": RequesterFactory(email="kiran@alpha.test", full_name="Kiran in Kolkata",
                                         time_zone="Asia/Kolkata"),
            "anonymous": RequesterFactory(email="just.an.address@alpha.test", full_name=""),
        }


@pytest.fixture
def viewer_client(make_client, tenant, people):
    return make_client(tenant, people["viewer"])


def incident_rows(people) -> Stable:
    stable = Stable()
    viewer, colleague, nameless = people["viewer"], people["colleague"], people["nameless"]
    requester, far_away, anonymous = people["requester"], people["far_away"], people["anonymous"]
    vpn, printer = Category.objects.get(name="VPN"), Category.objects.get(name="Printer")
    policy = Policy.objects.create(name="Gold support", order=1, is_active=False)
    always = Calendar.objects.get(is_24x7=True)
    office = office_hours(name="Berlin office")

    def new(name, minutes_ago, **fields):
        with at(NOW - timedelta(minutes=minutes_ago)):
            return stable.ticket(make_incident(by=viewer, requester=fields.pop("requester", requester), **fields), name)

    major = new("major", 25, title="Email is down for everyone", impact=1, urgency=1, is_major=True, category=vpn,
                assignment_group=people["desk"], assignee=viewer)
    with at(NOW - timedelta(minutes=20)):
        major = incident_services.transition_incident(major, "start", by=viewer)
    clock(major, policy, always, metric=Metric.RESPONSE, target=HOUR, due_in=timedelta(minutes=35), state="stopped",
          outcome="met", stopped_ago=timedelta(minutes=20))
    clock(major, policy, always, due_in=timedelta(hours=3, minutes=35))

    group_only = new("group-only", 180, title="Wi-Fi drops on floor 3", impact=1, urgency=2,
                     assignment_group=people["network"])
    clock(group_only, policy, always, due_in=timedelta(minutes=40))

    unassigned = new("unassigned", 3 * 24 * 60, title="Printer jams", impact=1, urgency=3, category=printer)
    clock(unassigned, policy, always, due_in=-timedelta(hours=2, minutes=5), breached_ago=timedelta(hours=2, minutes=5))

    on_hold = new("on-hold", 20 * 24 * 60, title="Laptop battery swells", impact=2, urgency=3,
                  assignment_group=people["desk"], assignee=nameless, requester=far_away)
    with at(NOW - timedelta(days=2)):
        on_hold = incident_services.transition_incident(on_hold, "hold", by=viewer,
                                                        fields={"hold_reason": "awaiting_vendor"})
    clock(on_hold, policy, always, target=8 * HOUR, due_in=timedelta(hours=1),
          state="paused", pauses=[[(NOW - timedelta(days=2)).isoformat(), None]])

    long_title = ("Outlook & \"Teams\" <crash> when opening the shared calendar of the finance team's "
                  "quarterly planning, after the update pushed on Monday night; it's every user on the 4th floor, "
                  "and restarting does not help")
    long_one = new("long-title", 50, title=long_title[:200], impact=3, urgency=3, requester=anonymous,
                   assignment_group=people["network"], assignee=colleague)
    clock(long_one, policy, always, due_in=-timedelta(minutes=30), state="paused",
          pauses=[[(NOW - timedelta(minutes=10)).isoformat(), None]], breached_ago=timedelta(minutes=30))

    child = new("child", 15, title="Cannot send mail from phone", impact=2, urgency=2, parent=major)
    clock(child, policy, office, metric=Metric.RESPONSE, target=2 * HOUR, due_in=timedelta(hours=30))
    clock(child, policy, always, due_in=timedelta(hours=3, minutes=45))
    clock(child, policy, always, metric=Metric.NEXT_REPLY, target=HOUR, due_in=timedelta(minutes=5),
          state="stopped", outcome="cancelled", stopped_ago=timedelta(minutes=2))

    retargeted = new("breached-earlier", 6 * 60, title="Shared drive is slow", impact=2, urgency=1,
                     assignment_group=people["desk"])
    clock(retargeted, policy, always, target=8 * HOUR, due_in=timedelta(hours=1, minutes=10),
          first_breached_ago=timedelta(minutes=50))

    met_late = new("met-after-retarget", 9 * 60, title="New starter has no badge", impact=3, urgency=1,
                   assignee=colleague)
    clock(met_late, policy, always, metric=Metric.RESPONSE, target=2 * HOUR, due_in=timedelta(hours=1),
          state="stopped", outcome="met", stopped_ago=timedelta(minutes=10), first_breached_ago=timedelta(hours=2))

    stopped_breached = new("stopped-breached", 26 * 60, title="Monitor flickers", impact=3, urgency=2,
                           assignment_group=people["desk"])
    clock(stopped_breached, policy, always, metric=Metric.RESPONSE, target=HOUR, due_in=-timedelta(hours=1),
          state="stopped", outcome="breached", stopped_ago=timedelta(minutes=30), breached_ago=timedelta(hours=1))

    new("no-clock", 2, title="Keyboard missing keys", impact=2, urgency=3)

    resolved = new("resolved", 4 * 24 * 60, title="Password expired", impact=3, urgency=3,
                   assignment_group=people["desk"], assignee=viewer)
    with at(NOW - timedelta(days=1)):
        incident_services.transition_incident(resolved, "resolve", by=viewer, fields={
            "resolution_code": "solved_remotely", "resolution_notes": "Reset it."})
    clock(resolved, policy, always, due_in=timedelta(hours=20), state="stopped", outcome="met",
          stopped_ago=timedelta(days=1))

    # Enough open rows for a second page; their badges are the common case, a running clock.
    for n in range(18):
        filler = new(f"filler-{n:02d}", 60 * (n + 1) + 7, title=f"Routine request {n}", impact=2 + n % 2,
                     urgency=2 + n % 2, assignment_group=people["desk"] if n % 3 else None,
                     assignee=colleague if n % 4 == 1 else None)
        clock(filler, policy, always, due_in=timedelta(minutes=30 * n - 90), breached_ago=
              timedelta(minutes=90 - 30 * n) if n < 3 else None)
    return stable


def problem_rows(people) -> Stable:
    stable = Stable()
    viewer, colleague = people["viewer"], people["colleague"]

    def new(name, minutes_ago, **fields):
        with at(NOW - timedelta(minutes=minutes_ago)):
            return stable.ticket(make_problem(by=viewer, requester=people["requester"], **fields), name)

    new("new-unassigned", 30, title="Printers drop off the network", impact=1, urgency=1,
        affected_service="Printing")
    analysed = new("in-analysis", 3 * 24 * 60, title="VPN disconnects hourly", impact=2, urgency=2,
                   assignment_group=people["network"], assignee=colleague, affected_service="")
    with at(NOW - timedelta(days=1)):
        problem_to(analysed, "root_cause_analysis", by=viewer)
    known = new("known-error", 25 * 24 * 60, title="Outlook <search> & indexing fails", impact=2, urgency=3,
                assignment_group=people["desk"], workaround="Rebuild the index.",
                affected_service="Email & calendars", category=Category.objects.get(name="Email"))
    with at(NOW - timedelta(hours=5)):
        from problems import services as problem_services

        problem_services.publish_known_error(known, by=viewer)
    fixing = new("fixing", 6 * 60, title="Disk fills on the file server", impact=3, urgency=3,
                 assignment_group=people["desk"], assignee=people["nameless"], affected_service="File shares")
    with at(NOW - timedelta(hours=2)):
        problem_to(fixing, "fix_in_progress", by=viewer)
    done = new("resolved", 9 * 24 * 60, title="Badge readers reboot", impact=3, urgency=2, affected_service="Doors")
    with at(NOW - timedelta(days=3)):
        problem_to(done, "resolved", by=viewer)
    for n in range(24):
        new(f"filler-{n:02d}", 45 * n + 3, title=f"Recurring alert {n}", impact=1 + n % 3, urgency=1 + (n // 3) % 3,
            assignment_group=people["network"] if n % 2 else None, affected_service=f"Service {n % 4}")
    return stable


def task_rows(people) -> Stable:
    from fulfilment import services as fulfilment_services
    from fulfilment.services import TaskSpec

    stable = Stable()
    viewer, colleague, nameless = people["viewer"], people["colleague"], people["nameless"]

    def parent(name, minutes_ago, **fields):
        with at(NOW - timedelta(minutes=minutes_ago)):
            return stable.ticket(make_incident(by=viewer, requester=people["requester"], **fields), name)

    def tasks(of, minutes_ago, *specs):
        with at(NOW - timedelta(minutes=minutes_ago)):
            made = fulfilment_services.create_tasks(of, [spec for _, spec in specs], by=viewer)
        return [stable.ticket(task, name) for (name, _), task in zip(specs, made)]

    def take(task, minutes_ago, action, **fields):
        with at(NOW - timedelta(minutes=minutes_ago)):
            return fulfilment_services.transition_task(task, action, by=viewer, fields=fields or None)

    starter = parent("starter", 3 * 24 * 60, title="New starter: Ada", impact=2, urgency=1)
    order, account, configure, hand_over = tasks(
        starter, 3 * 24 * 60,
        ("order", TaskSpec("Order laptop", assignment_group=people["desk"], assignee=colleague,
                           due_at=NOW - timedelta(days=1))),
        ("account", TaskSpec("Create account", assignment_group=people["network"], due_at=NOW + timedelta(hours=5))),
        ("configure", TaskSpec("Configure laptop", step=2, assignment_group=people["desk"],
                               due_at=NOW + timedelta(days=2))),
        ("hand-over", TaskSpec("Hand over <laptop> & badge", step=3, assignee=nameless)))
    take(order, 2 * 24 * 60, "start")
    take(account, 24 * 60, "done", completion_notes="Account ready.")
    printer = parent("printer", 5 * 60, title="Printer jams", impact=1, urgency=1)
    swap, = tasks(printer, 4 * 60, ("swap", TaskSpec("Swap the fuser", assignee=viewer, due_at=NOW - timedelta(minutes=30))))
    take(swap, 3 * 60, "hold", hold_reason="Waiting for the part")
    spare, = tasks(printer, 2 * 60, ("spare", TaskSpec("Order a spare", step=1)))
    take(spare, 60, "cancel", cancel_reason="Kept one in stock")
    long_title = ("Migrate the finance team's \"quarterly\" planning workbooks <and> macros to the new share, "
                  "keeping every link between them working, before the auditors arrive on Monday morning")
    tasks(printer, 50, ("long-title", TaskSpec(long_title[:200], assignment_group=people["network"],
                                                assignee=colleague)))
    for n in range(24):
        filler_parent = parent(f"filler-parent-{n:02d}", 45 * n + 10, title=f"Routine request {n}",
                               impact=1 + n % 3, urgency=1 + (n // 3) % 3)
        tasks(filler_parent, 45 * n + 3, (f"filler-{n:02d}", TaskSpec(
            f"Configure item {n}", assignment_group=people["desk"] if n % 2 else None,
            due_at=NOW + timedelta(hours=n - 6) if n % 3 else None)))
    return stable


# (query, htmx): the default page, an htmx refresh with another sort, a refused filter and page 2, nothing found,
# and a full page with every filter of the bar set (its options and toggles show what is selected).
INCIDENT_VIEWS = [("", False), ("?state=any&sort=sla&unassigned=maybe&page=2", True),
                  ("?sort=-opened&page=2", False), ("?q=nothing+matches+this", True),
                  ("?q=Routine&state=new&priority=3&assignment_group={desk}&unassigned=true&is_major=false"
                   "&sort=-updated&per_page=50", False),
                  ("?state=any&assignee={colleague}&mine=&breaching_soon=true", False)]
PROBLEM_VIEWS = [("", False), ("?state=any&sort=-updated&known_error=maybe&page=2", True),
                 ("?sort=number&per_page=50", False), ("?q=nothing+matches+this", True),
                 ("?q=alert&state=new&priority=2&assignment_group={network}&known_error=false&sort=-opened", False),
                 ("?state=any&assignee={colleague}&mine=true", False)]
TASK_VIEWS = [("", False), ("?state=any&sort=-updated&overdue=maybe&page=2", True),
              ("?sort=number&per_page=50", False), ("?q=nothing+matches+this", True),
              ("?q=Configure&state=open&priority=3&assignment_group={desk}&overdue=false&sort=-opened", False),
              ("?state=any&assignee={colleague}&mine=true&overdue=true", False)]


def render_views(client, slug: str, views, stable: Stable, people) -> str:
    sections = []
    keys = {name: person.pk for name, person in people.items()}
    with at(NOW):
        for query, htmx in views:
            headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
            response = client.get(f"/desk/{slug}/{query.format(**keys)}", **headers)
            assert response.status_code == 200
            html = response.content.decode()
            sections.append(f"<!-- GET /desk/{slug}/{query}{' (htmx)' if htmx else ''} -->\n"
                            + normalise(stable(html if htmx else main_of(html))))
    return "\n".join(sections)


def check_against_reference(slug: str, rendered: str):
    path = REFERENCE / f"queue_{slug}.html"
    if RECORD:
        path.parent.mkdir(exist_ok=True)
        path.write_text(rendered)
    assert path.exists(), f"No reference {path}: record it with RECORD_QUEUE_REFERENCE=1"
    expected = path.read_text()
    if rendered != expected:
        import difflib

        diff = "".join(difflib.unified_diff(expected.splitlines(True), rendered.splitlines(True),
                                            "reference", "rendered", n=1))
        pytest.fail(f"The {slug} queue differs from {path.name}:\n{diff[:6000]}")


def own_queries(client, path: str, status: int = 200, **headers) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, **headers).status_code == status
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]


def check_query_budget(client, slug: str, *, full: int, rows: int):
    """The page's own queries, as many with 50 rows as with 25, on top of what any signed-in desk request
    costs (the tenant, the session, the user: counted on ``/desk/``, which only redirects, so that caching
    those elsewhere does not move this budget). Full page: the counters, the groups and the agents of the
    filter bar, the rows, and one query per column extension (SLA clocks); the default view's size is the
    open counter. Rows only (htmx): the count, the rows, the extensions' query."""
    with at(NOW):
        signed_in = len(own_queries(client, "/desk/", 302))
        for per_page in (25, 50):
            assert len(own_queries(client, f"/desk/{slug}/?per_page={per_page}")) - signed_in == full, per_page
            assert len(own_queries(client, f"/desk/{slug}/?state=any&per_page={per_page}",
                                   HTTP_HX_REQUEST="true")) - signed_in == rows, per_page


def test_every_type_has_a_reference_case():
    assert {ticket_type.slug for ticket_type in types.all_types()} == {"incidents", "problems", "tasks", "requests",
                                                                        "requested-items"}


def test_incident_queue_matches_the_reference(viewer_client, people):
    stable = incident_rows(people)
    rendered = render_views(viewer_client, "incidents", INCIDENT_VIEWS, stable, people)
    # The data really shows what the reference is meant to pin.
    for tone in ("ok", "warning", "breached", "paused", "met"):
        assert f'class="sla sla-{tone}"' in rendered, tone
    assert "Met after re-target, breached earlier" in rendered and "left · breached earlier" in rendered
    assert "Breached by" in rendered and "· paused" in rendered and "EST" in rendered and "EDT" in rendered
    check_against_reference("incidents", rendered)
    check_query_budget(viewer_client, "incidents", full=5, rows=3)


def test_problem_queue_matches_the_reference(viewer_client, people):
    stable = problem_rows(people)
    rendered = render_views(viewer_client, "problems", PROBLEM_VIEWS, stable, people)
    assert "tag-known-error" in rendered and "Affected service" in rendered
    check_against_reference("problems", rendered)
    check_query_budget(viewer_client, "problems", full=4, rows=2)


def test_task_queue_matches_the_reference(viewer_client, people):
    stable = task_rows(people)
    rendered = render_views(viewer_client, "tasks", TASK_VIEWS, stable, people)
    assert "Task of" in rendered and "(overdue)" in rendered and "tag-step" in rendered
    assert "INC[starter]" in rendered and "TASK[hand-over]" in rendered
    check_against_reference("tasks", rendered)
    check_query_budget(viewer_client, "tasks", full=4, rows=2)
def order_rows(people, *, items: bool) -> Stable:
    """Requests (or, with ``items``, their requested items) in each state, routed or not, for oneself or not."""
    from service_requests.models import RequestedItem
    from tests.service_requests.factories import CatalogItemFactory, make_request
    from tests.guards import stand_in
    from tickets import services as ticket_services
    from tickets.write_guard import direct_writes

    stable = Stable()
    viewer, colleague = people["viewer"], people["colleague"]
    laptop = CatalogItemFactory(name="Laptop & <dock>", price="1299.00")
    chair = CatalogItemFactory(name="Office chair")

    def new(name, minutes_ago, item=laptop, quantity=1, **fields):
        with at(NOW - timedelta(minutes=minutes_ago)):
            request = make_request(by=viewer, requested_for=fields.pop("requested_for", people["requester"]),
                                   item=item, quantity=quantity, **fields)
        ticket = request.created_items[0] if items else request
        stable.ticket(request, f"{name}-request")
        stable.ticket(request.created_items[0], f"{name}-item")
        return ticket

    new("new-unassigned", 30, title="Laptop for the new starter", impact=1, urgency=1)
    new("routed", 3 * 24 * 60, item=chair, quantity=4, title="Chairs for the meeting room",
        assignment_group=people["desk"], assignee=colleague, requested_for=people["far_away"])
    waiting = new("awaiting-approval", 6 * 60, title="A second screen", assignment_group=people["network"])
    if items:
        with direct_writes("test set-up: the approval engine leaves an item awaiting approval"):
            RequestedItem.objects.filter(pk=waiting.pk).update(state="awaiting_approval")
    done = new("fulfilled", 9 * 24 * 60, title="Keyboard", requested_for=people["anonymous"])
    restore_guards = stand_in("all_tasks_done")
    try:
        with at(NOW - timedelta(days=3)):
            ticket_services.transition(done.created_items[0] if not items else done, "fulfil", by=viewer)
    finally:
        restore_guards()
    for n in range(24):
        new(f"filler-{n:02d}", 45 * n + 3, title=f"Standard order {n}", impact=1 + n % 3, urgency=1 + (n // 3) % 3,
            assignment_group=people["network"] if n % 2 else None)
    return stable


ORDER_VIEWS = [("", False), ("?state=any&sort=-updated&unassigned=maybe&page=2", True),
               ("?sort=number&per_page=50", False), ("?q=nothing+matches+this", True),
               ("?q=order&state=open&priority=2&assignment_group={network}&sort=-opened", False),
               ("?state=any&assignee={colleague}&mine=true", False)]
ITEM_VIEWS = [*ORDER_VIEWS[:4], ("?q=order&state=in_fulfilment&priority=2&assignment_group={network}&sort=-opened", False),
              ("?state=any&assignee={colleague}&mine=true", False)]


def test_request_queue_matches_the_reference(viewer_client, people):
    stable = order_rows(people, items=False)
    rendered = render_views(viewer_client, "requests", ORDER_VIEWS, stable, people)
    assert "Chairs for the meeting room" in rendered and "Closed" in rendered
    check_against_reference("requests", rendered)
    check_query_budget(viewer_client, "requests", full=5, rows=3)


def test_requested_item_queue_matches_the_reference(viewer_client, people):
    stable = order_rows(people, items=True)
    rendered = render_views(viewer_client, "requested-items", ITEM_VIEWS, stable, people)
    assert "Awaiting approval" in rendered and "<th scope=\"col\">Qty</th>" in rendered
    check_against_reference("requested-items", rendered)
    check_query_budget(viewer_client, "requested-items", full=5, rows=3)
