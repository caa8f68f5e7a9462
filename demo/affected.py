"""Affected CIs in the demo: the database server behind the web shop, named on one open incident per tenant.

Runs after the CMDB estate (demo/cmdb.py builds "lnx-db-01" under the Online Sales service): does
nothing while that CI does not exist, and nothing the second time.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django_tenants.utils import schema_context

from tickets.services import SystemActor

DEMO_CI = "lnx-db-01"
# The incident it explains best: the web shop's checkout errors (then a major incident, then the most urgent).
BEST_TITLE = "Website checkout"


@transaction.atomic
def name_affected_demo_cis(tenant) -> int:
    """Name ``lnx-db-01`` as affected on one open demo incident of ``tenant``; returns how many it named (0 or 1)."""
    from cmdb import affected
    from cmdb.models import CI, AffectedCI
    from incidents.models import Incident

    with schema_context(tenant.schema_name):
        ci = CI.objects.select_related("ci_class").filter(name=DEMO_CI).order_by("id").first()
        if ci is None or AffectedCI.objects.filter(ci=ci, ticket_type=Incident._meta.label_lower).exists():
            return 0
        incident = (Incident.objects.filter(state__in=sorted(Incident.workflow.open_states))
                    .annotate(fits=Case(When(title__startswith=BEST_TITLE, then=Value(0)), default=Value(1),
                                        output_field=IntegerField()))
                    .order_by("fits", "-is_major", "priority", "opened_at", "id").first())
        if incident is None:
            return 0
        affected.add_affected(incident, ci, by=SystemActor("demo data"))
        return 1
