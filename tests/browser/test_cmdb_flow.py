"""Issue 11's browser flow against real servers on the demo data (the acme tenant's CMDB estate):

an agent imports a CSV of new Linux servers and watches its progress bar while a real Celery worker runs
it (the session's server runs tasks eagerly, so this module starts a server and a worker of its own on
the same seeded database, on a queue nobody else uses), reads the report of the bad rows, opens
lnx-db-01 to see its relationship graph and what it takes down, and sees the business service it takes
down on the incident that names it. Each page is checked by axe-core and for sideways scrolling.
"""

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import SHOTS
from tests.browser.test_incident_flow import create_incident, shot, sign_in, sign_out

pytestmark = pytest.mark.browser

WIDTHS = (1440, 1280)
GOOD_ROWS = 2000
IMPORT_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def worker_server(chromium_path, live_database):
    """A gunicorn server that queues tasks (not eager) and the worker that takes them, on a queue of their own."""
    from tests.live import live_server, live_worker

    queue = f"cmdb-browser-{uuid.uuid4().hex[:8]}"
    with live_worker(live_database, queue) as worker, \
            live_server(live_database, "gunicorn", ITSM_TEST_EAGER="0", CELERY_QUEUE=queue) as server:
        server.worker_log = lambda: Path(worker.log_path).read_text()[-6000:]
        yield server


def import_csv(run: str) -> bytes:
    """New Linux servers with hostnames and serials, and two bad rows: an unknown class, a CPU count that is no number."""
    lines = ["class,name,serial_number,fqdn,environment,attr.distribution,attr.cpu_cores"]
    for i in range(GOOD_ROWS):
        lines.append(f"linux_server,lnx-e2e-{run}-{i:04d},E2E-{run}-{i:04d},lnx-e2e-{run}-{i:04d}.acme.example,"
                     f"production,Debian 12,{4 + i % 4 * 4}")
        if i == 200:
            lines.append(f"quantum_server,qbit-{run},E2E-{run}-Q,,production,,")
        if i == 900:
            lines.append(f"linux_server,lnx-e2e-{run}-bad,E2E-{run}-BAD,,production,Debian 12,lots")
    return ("\n".join(lines) + "\n").encode()


def check_layout(page, what):
    """No sideways scrolling at desk widths, and the top bar's last items on screen at each."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{what} scrolls sideways at {width}px (content is {scroll_width}px wide)"
        topbar = [page.locator(".topbar .newmenu summary, .topbar a.btn-accent").first, page.locator(".usermenu summary")]
        settings = page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")
        if settings.count():
            topbar.append(settings)
        for item in topbar:
            expect(item).to_be_visible()
            box = item.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, \
                f"{what}: top bar item {item} is off screen at {width}px: {box}"
    page.set_viewport_size({"width": 1440, "height": 900})


def test_import_watch_progress_open_ci_and_see_impact_on_incident(page, worker_server):
    server = worker_server
    run = uuid.uuid4().hex[:6]

    # -- the CMDB list, from the top bar -------------------------------------------------------------
    sign_in(page, server, "agent@acme.example")
    expect(page).to_have_url(re.compile(r"/desk/incidents/$"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="CMDB").click()
    expect(page).to_have_url(re.compile(r"/desk/cmdb/$"))
    expect(page.get_by_role("heading", name="Configuration items")).to_be_visible()
    expect(page.locator("table.cmdb-list")).to_contain_text("lnx-db-01")
    assert_accessible(page, "the CMDB list")
    check_layout(page, "the CMDB list")
    shot(page, "cmdb-1-list")

    # -- an import of a CSV file, run by the worker, watched -----------------------------------------
    page.locator(".page-head").get_by_role("link", name="Imports").click()
    expect(page).to_have_url(re.compile(r"/desk/cmdb/imports/$"))
    page.get_by_role("navigation", name="Keeping the CMDB current").get_by_role("link", name="New import").click()
    expect(page).to_have_url(re.compile(r"/desk/cmdb/imports/new/$"))
    page.get_by_label("File").set_input_files(
        {"name": f"servers-{run}.csv", "mimeType": "text/csv", "buffer": import_csv(run)})
    page.get_by_label("Source").fill("e2e-discovery")
    page.get_by_role("button", name="Start import").click()
    expect(page).to_have_url(re.compile(r"/desk/cmdb/imports/\d+/$"))
    expect(page.get_by_role("heading", name=f"Import of servers-{run}.csv")).to_be_visible()

    status = page.locator("#job-status-title .state")
    progress = page.locator("progress#import-progress")
    expect(progress).to_be_visible()
    # Eagerly run in the request, the job would be done by now: a worker has it, so it is still on its way.
    first_status = status.text_content().strip()
    assert first_status in ("Queued", "Running"), f"the job was {first_status!r} on arrival: not run by the worker"
    assert page.locator("#import-job[hx-trigger]").count() == 1, "the running job's page does not poll"
    shot(page, "cmdb-2-import-progress")
    assert_accessible(page, "the running import's page")
    try:
        expect(status).to_have_text("Done", timeout=IMPORT_TIMEOUT_MS)
    except AssertionError:
        pytest.fail(f"the import did not finish within {IMPORT_TIMEOUT_MS // 1000}s (status "
                    f"{status.text_content().strip()!r}); worker log:\n{server.worker_log()}\nserver log:\n{server.log()}")
    expect(page.locator("#import-job[hx-trigger]")).to_have_count(0)  # polling stopped
    expect(progress).to_be_visible()
    assert progress.get_attribute("value") == progress.get_attribute("max"), "a finished import's bar is not full"
    expect(page.get_by_test_id("inserted")).to_have_text(str(GOOD_ROWS))
    expect(page.get_by_test_id("rejected")).to_have_text("2")
    rejections = page.get_by_role("region", name="Rejected rows").locator("tbody tr")
    expect(rejections).to_have_count(2)
    expect(rejections.filter(has_text=f"qbit-{run}")).to_contain_text("No CI class “quantum_server”")
    # Named as in the file: its line (the header is line 1) and its column.
    expect(rejections.filter(has_text=f"lnx-e2e-{run}-bad")).to_contain_text("attr.cpu_cores")
    expect(rejections.filter(has_text=f"lnx-e2e-{run}-bad").locator("th")).to_have_text(re.compile(r"^Line \d+$"))
    assert re.search(r"Task cmdb\.tasks\.run_import\[[^]]+\] succeeded", server.worker_log()), server.worker_log()
    assert_accessible(page, "the import's report")
    check_layout(page, "the import's report")
    shot(page, "cmdb-3-import-report")

    # -- a CI: its graph at two depths and what it takes down ----------------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="CMDB").click()
    page.get_by_label("Search", exact=True).press_sequentially("lnx-db-01", delay=20)
    expect(page).to_have_url(re.compile(r"q=lnx-db-01"))
    expect(page.locator("#ci-results .results-meta")).to_contain_text("1–1 of 1 CI")
    results = page.locator("#ci-results table.cmdb-list tbody tr")
    expect(results).to_have_count(1)
    results.get_by_role("link", name="lnx-db-01").click()
    expect(page.get_by_role("heading", level=1, name="lnx-db-01")).to_be_visible()

    graph = page.locator("#graph svg[role=group]")
    expect(graph).to_be_visible()
    expect(graph.locator("title").first).to_have_text("Relationships of lnx-db-01 to depth 2")
    expect(graph.locator(".cmdb-node-name", has_text="shop-db")).to_have_count(1)
    expect(graph.locator(".cmdb-node-name", has_text="ShopFront")).to_have_count(1)
    expect(graph.locator(".cmdb-node-name", has_text="Online Sales")).to_have_count(0)  # four hops away
    nodes_at_2 = graph.locator(".cmdb-node").count()

    impact = page.locator("#impact")
    service = impact.locator(".cmdb-impact li", has=page.locator("strong", has_text="Online Sales"))
    expect(service).to_have_count(1)
    expect(service.locator(".cmdb-path")).to_contain_text(
        re.compile(r"lnx-db-01.*shop-db.*ShopFront.*Web Shop.*Online Sales", re.S))
    assert_accessible(page, "the CI's page")
    check_layout(page, "the CI's page")
    shot(page, "cmdb-4-ci-graph")

    page.get_by_label("Depth", exact=True).select_option("4")
    graph = page.locator("#graph svg[role=group]")
    expect(graph.locator("title").first).to_have_text("Relationships of lnx-db-01 to depth 4")
    expect(graph.locator(".cmdb-node-service .cmdb-node-name", has_text="Online Sales")).to_have_count(1)
    assert graph.locator(".cmdb-node").count() > nodes_at_2
    expect(page.get_by_label("Depth", exact=True)).to_have_value("4")
    assert_accessible(page, "the CI's page at depth 4")
    check_layout(page, "the CI's page at depth 4")
    shot(page, "cmdb-4b-ci-graph-depth-4")

    # -- the incident that names it: its affected CIs and the service they take down -----------------
    tickets = page.locator("#tickets")
    incident_link = tickets.locator("tr", has_text="Incident").locator("a.ticket-link").first
    number = incident_link.inner_text()
    incident_link.click()
    expect(page).to_have_url(re.compile(rf"/desk/incidents/{number}/$"))
    card = page.locator("#affected-cis")
    expect(card.get_by_test_id("affected-ci")).to_contain_text(["lnx-db-01"])
    services = card.get_by_test_id("impacted-service")
    expect(services.filter(has_text="Online Sales")).to_have_count(1)
    expect(services.filter(has_text="Online Sales").get_by_test_id("impact-path")).to_contain_text(
        re.compile(r"lnx-db-01.*shop-db.*Online Sales"))
    assert_accessible(page, "the incident's page")
    check_layout(page, "the incident's page")
    shot(page, "cmdb-5-incident")
    card.screenshot(path=str(SHOTS / "cmdb-5b-incident-card.png"))

    # -- a CI named on a new incident through the card's search-as-you-type -------------------------
    create_incident(page, server, requester_label="Robin User <user@acme.example>", title=f"Payments slow {run}")
    card = page.locator("#affected-cis")
    expect(card).to_contain_text("No affected CIs named.")
    card.get_by_label("Add an affected CI").press_sequentially("lnx-web-0", delay=30)
    page.get_by_role("button", name="Add lnx-web-02 as an affected CI").click()
    expect(page).to_have_url(re.compile(r"/desk/incidents/INC\d+/#affected-cis$"))
    card = page.locator("#affected-cis")
    expect(card.get_by_test_id("affected-ci")).to_contain_text(["lnx-web-02"])
    # Back on the card after the add: its heading is in view below the sticky top bar, not under it.
    title_box, bar_box = page.locator("#affected-cis-title").bounding_box(), page.locator(".topbar").bounding_box()
    assert title_box["y"] >= bar_box["y"] + bar_box["height"], (title_box, bar_box)
    page.screenshot(path=str(SHOTS / "cmdb-6-incident-added-ci.png"))
    payments = card.get_by_test_id("impacted-service").filter(has_text="Online Sales")
    expect(payments.get_by_test_id("impact-path")).to_contain_text(re.compile(r"lnx-web-02.*Online Sales"))
    assert_accessible(page, "the new incident's page")
    sign_out(page)

    # -- an admin's top bar has Settings too: still on screen at both widths -------------------------
    sign_in(page, server, "admin@acme.example")
    page.goto(server.url("acme", "/desk/cmdb/"))
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")).to_be_visible()
    check_layout(page, "the CMDB list (as an admin)")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / "cmdb-7-topbar-admin-1280.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 120})
    assert not page.console_errors, page.console_errors
