"""SLA badges on the agent queue and the ticket page, the "breaching soon" filter and the SLA sort.

Clock rows are created directly (as the engine would leave them) on an inactive policy,
so the engine attaches nothing of its own to the incidents made here.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from sla.models import Calendar, Clock, Metric, Policy
from tests.factories import AgentFactory, make_incident
from tests.sla.conftest import office_hours

HOUR = 3600


@pytest.fixture
def agent_client(make_client, tenant, agent):
    return make_client(tenant, agent)


@pytest.fixture
def always(tenant):
    return Calendar.objects.get(is_24x7=True)


@pytest.fixture
def policy(tenant):
    return Policy.objects.create(name="Gold support", order=1, is_active=False)


def make_clock(incident, policy, calendar, *, metric=Metric.RESOLUTION, target=4 * HOUR, due_in=None, state="running",
               outcome="", pauses=(), stopped_ago=None, breached=False):
    """A clock whose deadline is ``due_in`` from now on a 24x7 calendar (negative: past it)."""
    now = timezone.now()
    due_in = timedelta(seconds=target / 2) if due_in is None else due_in
    deadline = now + due_in
    return Clock.objects.create(
        ticket_type="incidents.incident", ticket_id=incident.pk, metric=metric, policy=policy, calendar=calendar,
        priority=incident.priority, target_seconds=target, started_at=deadline - timedelta(seconds=target),
        deadline=deadline, state=state, outcome=outcome, pauses=list(pauses),
        stopped_at=now - stopped_ago if stopped_ago is not None else None,
        breached_at=deadline if breached else None)


def badge(html: str, metric: str) -> str:
    match = re.search(rf'<span class="sla sla-(\w+)" data-sla="{metric}"[^>]*>(.*?)</span></span>', html, re.S)
    assert match, f"no {metric} badge in the page"
    return match[1] + ": " + re.sub(r"<[^>]+>", "", match[2]).strip()


def queue_cell(html: str, number: str) -> str:
    row = re.search(rf'<tr class="row-p\d[^"]*">\s*<td class="col-number"><a[^>]*>{number}</a>.*?</tr>', html, re.S)
    assert row, f"{number} not in the queue"
    return row[0]


@pytest.mark.parametrize("setup, expected", [
    (dict(due_in=timedelta(hours=2, minutes=15, seconds=30)), "ok: Resolution 2h 15m left"),
    # Half a minute of slack: the badge floors to the minute, and a loaded machine takes seconds to render.
    (dict(due_in=timedelta(minutes=30, seconds=30)), "warning: Resolution 30m left"),
    (dict(due_in=-timedelta(minutes=40, seconds=10), breached=True), "breached: !Resolution Breached 40m ago"),
    (dict(due_in=timedelta(hours=1), state="paused", pauses=[["2026-01-05T10:00:00+00:00", None]]),
     None),  # paused: checked below (the remaining time is measured at the pause)
    (dict(due_in=-timedelta(hours=1), state="stopped", outcome="met", stopped_ago=timedelta(hours=2)),
     "met: ✓Resolution Met"),
    (dict(due_in=-timedelta(hours=1), state="stopped", outcome="breached", stopped_ago=timedelta(minutes=30),
          breached=True), "breached: !Resolution Breached by 30m"),
])
def test_queue_badge_for_each_tone(agent_client, requester, policy, always, setup, expected):
    incident = make_incident(by=requester, title="Badge me")
    make_clock(incident, policy, always, **setup)
    html = queue_cell(agent_client.get("/desk/incidents/?state=any").content.decode(), incident.number)
    text = badge(html, "resolution")
    if expected is None:
        assert text.startswith("paused: Resolution") and "Paused · " in text and text.endswith("left")
    else:
        assert text == expected


def test_paused_badge_counts_from_the_pause_not_from_now(agent_client, requester, policy, always):
    incident = make_incident(by=requester, title="On hold")
    paused_at = timezone.now() - timedelta(hours=3)
    make_clock(incident, policy, always, due_in=timedelta(hours=1), state="paused",
               pauses=[[paused_at.isoformat(), None]])
    html = queue_cell(agent_client.get("/desk/incidents/").content.decode(), incident.number)
    # At the pause the deadline was 4h away, and a paused clock does not run down.
    assert badge(html, "resolution") == "paused: Resolution Paused · 4h left"


def test_cancelled_clocks_stay_off_the_queue_but_show_on_the_panel(agent_client, requester, policy, always):
    incident = make_incident(by=requester, title="Cancelled one")
    make_clock(incident, policy, always, state="stopped", outcome="cancelled", stopped_ago=timedelta(minutes=5))
    queue = queue_cell(agent_client.get("/desk/incidents/?state=any").content.decode(), incident.number)
    assert 'data-sla="resolution"' not in queue
    page = agent_client.get(f"/desk/incidents/{incident.number}/").content.decode()
    assert "sla-cancelled" in page and "Cancelled" in page


def test_row_without_clocks_shows_a_dash(agent_client, requester):
    incident = make_incident(by=requester, title="No SLA here")
    html = queue_cell(agent_client.get("/desk/incidents/").content.decode(), incident.number)
    assert '<span class="sla-none">—</span>' in html


def test_badges_order_response_before_resolution(agent_client, requester, policy, always):
    incident = make_incident(by=requester, title="Two clocks")
    make_clock(incident, policy, always, metric=Metric.RESOLUTION, target=8 * HOUR, due_in=timedelta(hours=6))
    make_clock(incident, policy, always, metric=Metric.RESPONSE, target=HOUR, due_in=timedelta(minutes=50))
    html = queue_cell(agent_client.get("/desk/incidents/").content.decode(), incident.number)
    assert html.index('data-sla="response"') < html.index('data-sla="resolution"')
    assert badge(html, "response") == "ok: First response 50m left"


def test_ticket_page_panel_shows_policy_target_deadline_in_viewer_zone_and_progress(make_client, tenant, requester,
                                                                                     policy, always):
    viewer = AgentFactory(time_zone="Asia/Tokyo")
    incident = make_incident(by=requester, title="Panel")
    clock = make_clock(incident, policy, always, target=4 * HOUR, due_in=timedelta(hours=1))
    html = make_client(tenant, viewer).get(f"/desk/incidents/{incident.number}/").content.decode()
    panel = html[html.index('id="sla-panel"'):]
    panel = panel[:panel.index("</section>")]
    assert "Gold support" in panel and "4h · P" in panel and "24x7" in panel
    tokyo = timezone.localtime(clock.deadline, timezone=__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert tokyo.strftime("%H:%M") + " JST" in panel
    assert re.search(r'<progress class="sla-bar sla-bar-warning" max="100" value="75"', panel)
    assert "75% of target used" in panel and "1h business time left" in panel
    # It polls while a clock runs; the header carries the same badge.
    assert 'hx-trigger="every 30s"' in panel and f'hx-get="/desk/incidents/{incident.number}/?fragment=sla"' in panel
    assert 'id="sla-head"' in html and badge(html, "resolution").startswith("warning: Resolution")


def test_panel_without_clocks_says_so_and_does_not_poll(agent_client, requester):
    incident = make_incident(by=requester, title="Nothing applies")
    html = agent_client.get(f"/desk/incidents/{incident.number}/").content.decode()
    assert "No SLA applies to this ticket." in html and "every 30s" not in html


def test_panel_stops_polling_once_every_clock_stopped(agent_client, requester, policy, always):
    incident = make_incident(by=requester, title="Done")
    make_clock(incident, policy, always, state="stopped", outcome="met", stopped_ago=timedelta(hours=1))
    html = agent_client.get(f"/desk/incidents/{incident.number}/").content.decode()
    assert "sla-met" in html and "every 30s" not in html


def test_panel_fragment_refreshes_panel_and_header_badges(agent_client, requester, policy, always):
    incident = make_incident(by=requester, title="Refresh me")
    make_clock(incident, policy, always, due_in=-timedelta(minutes=5), breached=True)
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(f"/desk/incidents/{incident.number}/?fragment=sla", HTTP_HX_REQUEST="true")
    # tenant, session, user, incident, clocks, their policies: a cheap poll
    assert len([q for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]) <= 6
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section class="card sla-panel" id="sla-panel"')
    assert '<span id="sla-head" class="sla-head" hx-swap-oob="true">' in html
    assert "Breached 5m ago" in html
    assert "HX-Request" in response["Vary"]


def test_panel_fragment_is_desk_only(make_client, tenant, requester, policy, always):
    incident = make_incident(by=requester, title="Mine")
    make_clock(incident, policy, always)
    response = make_client(tenant, requester).get(f"/desk/incidents/{incident.number}/?fragment=sla",
                                                  HTTP_HX_REQUEST="true")
    assert response.status_code == 403


def test_queue_polls_its_rows_with_the_same_filters(agent_client, requester):
    make_incident(by=requester, title="Polling")
    html = agent_client.get("/desk/incidents/?priority=4&sort=sla").content.decode()
    poller = re.search(r'<div hidden hx-get="([^"]+)" hx-trigger="every 60s" hx-target="#queue-results"', html)
    assert poller and poller[1].replace("&amp;", "&") == "/desk/incidents/?priority=4&sort=sla"


# -- "breaching soon" and the SLA sort -----------------------------------------------------------

@pytest.fixture
def breaching_data(requester, agent, policy, always):
    soon = make_incident(by=requester, title="Due in an hour")
    make_clock(soon, policy, always, due_in=timedelta(hours=1))
    late = make_incident(by=requester, title="Already breached")
    make_clock(late, policy, always, due_in=-timedelta(hours=3), breached=True)
    later = make_incident(by=requester, title="Due tomorrow")
    make_clock(later, policy, always, target=48 * HOUR, due_in=timedelta(hours=20))
    waiting = make_incident(by=requester, title="Paused near the deadline")
    make_clock(waiting, policy, always, due_in=timedelta(minutes=10), state="paused",
               pauses=[[timezone.now().isoformat(), None]])
    plain = make_incident(by=requester, title="No clock at all")
    closed = make_incident(by=requester, title="Resolved after breaching")
    services.transition_incident(closed, "resolve", by=agent,
                                 fields={"resolution_code": "solved_remotely", "resolution_notes": "done"})
    make_clock(closed, policy, always, due_in=-timedelta(hours=1), breached=True)
    return {"soon": soon, "late": late, "later": later, "waiting": waiting, "plain": plain, "closed": closed}


def _numbers(response) -> set[str]:
    return {i.number for i in response.context["page"].object_list}


def test_breaching_soon_filter_on_the_queue(agent_client, breaching_data):
    response = agent_client.get("/desk/incidents/?breaching_soon=true&state=any")
    assert _numbers(response) == {breaching_data["soon"].number, breaching_data["late"].number}
    assert response.context["has_filters"]
    inverse = agent_client.get("/desk/incidents/?breaching_soon=false")
    assert _numbers(inverse) == {breaching_data[k].number for k in ("later", "waiting", "plain")}
    # The toggle is offered and remembers its state.
    assert 'name="breaching_soon" value="true" checked' in response.content.decode()


def test_breaching_soon_filter_in_the_api(make_client, tenant, agent, breaching_data):
    from accounts.services import create_api_token

    _, key = create_api_token(user=agent, name="sla")
    api = make_client(tenant)
    rows = api.get("/api/v1/incidents/?breaching_soon=true", HTTP_AUTHORIZATION=f"Token {key}").json()["results"]
    assert {row["number"] for row in rows} == {breaching_data["soon"].number, breaching_data["late"].number}
    none = api.get("/api/v1/incidents/?breaching_soon=false&state=resolved", HTTP_AUTHORIZATION=f"Token {key}")
    assert {row["number"] for row in none.json()["results"]} == {breaching_data["closed"].number}


def test_sort_by_sla_deadline_puts_the_soonest_first_and_clockless_last(agent_client, breaching_data):
    response = agent_client.get("/desk/incidents/?sort=sla")
    listed = [i.number for i in response.context["page"].object_list]
    assert listed[:3] == [breaching_data[k].number for k in ("late", "soon", "later")]
    # Paused clocks and tickets without one follow, by priority.
    assert set(listed[3:]) == {breaching_data["waiting"].number, breaching_data["plain"].number}
    assert response.context["sort"] == "sla"
    assert '<option value="sla" selected>SLA deadline</option>' in response.content.decode()


def test_queue_reads_every_rows_clocks_in_one_query(agent_client, requester, policy, agent):
    office = office_hours(name="Badges office")
    for n in range(30):
        incident = make_incident(by=requester, title=f"Bulk {n}")
        make_clock(incident, policy, office if n % 2 else Calendar.objects.get(is_24x7=True),
                   due_in=timedelta(hours=n - 10), breached=n < 10)
    agent_client.get("/desk/incidents/?per_page=25")  # schedules are cached per process after first use
    counts = []
    for size in (25, 50):
        with CaptureQueriesContext(connection) as queries:
            response = agent_client.get(f"/desk/incidents/?per_page={size}&state=any")
        assert response.content.decode().count('class="sla sla-') == min(size, 30)
        sql = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]
        counts.append(len(sql))
        assert sum('FROM "sla_clock"' in s for s in sql) == 1
    assert counts[0] == counts[1] <= 9, counts


def test_panel_says_when_a_running_clock_counts_again_outside_working_hours(agent_client, requester, policy, always):
    other_day = (timezone.now().weekday() + 2) % 7
    closed_today = office_hours(name="Not today", time_zone="UTC", spans=((600, 660),), days=[other_day])
    incident = make_incident(by=requester, title="Raised out of hours")
    make_clock(incident, policy, closed_today, metric=Metric.RESPONSE, target=HOUR, due_in=timedelta(days=2))
    make_clock(incident, policy, always, metric=Metric.RESOLUTION, due_in=timedelta(hours=3))
    html = agent_client.get(f"/desk/incidents/{incident.number}/").content.decode()
    assert html.count("(outside working hours now)") == 1  # the response clock only; 24x7 always counts
    resumes = re.search(r"<dt>Counting</dt><dd>from <time datetime=\"([^\"]+)\">", html)[1]
    assert resumes.endswith("T10:00:00+00:00")


def test_sla_order_pages_across_the_clocked_and_clockless_rows(requester, policy, always):
    from incidents.models import Incident
    from sla.extension import SlaDeadlineOrder

    clocked = []
    for hours in (5, -1, 3, 1):  # deadlines: one breached, then soonest first
        incident = make_incident(by=requester, title=f"Clocked {hours}")
        make_clock(incident, policy, always, target=8 * HOUR, due_in=timedelta(hours=hours), breached=hours < 0)
        clocked.append((hours, incident.number))
    plain = [make_incident(by=requester, title=f"Plain {n}", impact=i, urgency=i).number
             for n, i in enumerate((3, 1, 2))]
    order = SlaDeadlineOrder(Incident.objects.all())
    expected = [number for _, number in sorted(clocked)]
    expected += [i.number for i in Incident.objects.filter(number__in=plain).order_by("priority", "opened_at", "id")]
    assert order.count() == 7
    assert [i.number for i in order[0:7]] == expected
    for start, stop in ((0, 2), (2, 5), (3, 4), (4, 7), (5, 6), (6, 10)):
        assert [i.number for i in order[start:stop]] == expected[start:stop], (start, stop)
    assert order[4].number == expected[4]
