"""Affected CIs in the demo: the shop's database server and the payroll database, named on open incidents.

Runs after the CMDB estate (demo/cmdb.py builds "lnx-db-01" under the Online Sales service): does
nothing while that CI does not exist, and nothing the second time.
"""

from __future__ import annotations

from django.db import transaction
from django_tenants.utils import schema_context

from tickets.services import SystemActor

WEB_SHOP_INCIDENT = {
    "title": "Web shop orders time out at payment",
    "description": "Since 09:10 customers wait up to a minute after *Pay now* and many orders time out. "
                   "The shop database server shows high I/O wait.",
}
# (CI, title of the open incident it explains, the incident to raise when none is open)
PAIRS = [
    ("lnx-db-01", "Web shop orders time out", WEB_SHOP_INCIDENT),
    ("payroll-db", "Payroll export to the bank fails", None),
]


@transaction.atomic
def name_affected_demo_cis(tenant) -> int:
    """Name the estate's CIs on the open demo incidents they explain; returns how many it named.

    ``lnx-db-01`` (behind Online Sales) goes on an open web-shop incident, raised for the demo when the seeded
    checkout incidents are all resolved by now; ``payroll-db`` on the open payroll export P1.
    """
    from accounts.models import AssignmentGroup, User
    from cmdb import affected
    from cmdb.models import CI, AffectedCI
    from incidents import services as incident_services
    from incidents.models import Incident

    named = 0
    with schema_context(tenant.schema_name):
        label = Incident._meta.label_lower
        open_incidents = Incident.objects.filter(state__in=sorted(Incident.workflow.open_states))
        for ci_name, title, new_incident in PAIRS:
            ci = CI.objects.filter(name=ci_name).order_by("id").first()
            if ci is None or AffectedCI.objects.filter(ci=ci, ticket_type=label).exists():
                continue
            incident = open_incidents.filter(title__startswith=title).order_by("opened_at", "id").first()
            if incident is None and new_incident:
                requester = User.objects.get(email=f"user@{tenant.slug}.example")
                agent = User.objects.get(email=f"agent@{tenant.slug}.example")
                incident = incident_services.create_incident(
                    by=agent, requester=requester, title=new_incident["title"], description=new_incident["description"],
                    impact=2, urgency=1, channel="phone", assignee=agent,
                    assignment_group=AssignmentGroup.objects.filter(name="Business Applications").first())
            if incident is None:
                continue
            affected.add_affected(incident, ci, by=SystemActor("demo data"))
            named += 1
    return named
