"""The queue's SLA cell and the ticket page's header badges are one function's output (sla.badges)."""

import re
from datetime import timedelta

import time_machine
from django.utils import timezone

from sla.models import Calendar, Metric, Policy
from tests.factories import make_incident
from tests.sla.test_badges import make_clock, queue_cell


@time_machine.travel(timezone.now(), tick=False)  # both pages read "time left" at the same instant
def test_queue_cell_and_ticket_header_show_the_same_badges(make_client, tenant, agent, requester):
    policy = Policy.objects.create(name="Gold support", order=1, is_active=False)
    always = Calendar.objects.get(is_24x7=True)
    incident = make_incident(by=requester, title="Same everywhere")
    make_clock(incident, policy, always, metric=Metric.RESPONSE, target=3600, due_in=-timedelta(minutes=20),
               breached=True)
    make_clock(incident, policy, always, due_in=timedelta(hours=3))
    client = make_client(tenant, agent)
    queue = queue_cell(client.get("/desk/incidents/").content.decode(), incident.number)
    cell = re.search(r'<td class="col-sla">(.*?)</td>', queue, re.S)[1]
    page = client.get(f"/desk/incidents/{incident.number}/").content.decode()
    head = '<span id="sla-head" class="sla-head">'
    assert cell.count('class="sla sla-') == 2 and "sla-breached" in cell and "sla-ok" in cell
    assert page[page.index(head) + len(head):].startswith(cell + "</span>")
