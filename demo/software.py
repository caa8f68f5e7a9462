"""The demo tenants' software licences and patch states, on the estate the CMDB demo builds.

``seed_software(tenant, admin=...)``: two products, one over-licensed (Adobe Acrobat Pro: 25 per-user licences,
9 in use) and one under-licensed (Microsoft 365 E3: 10 subscription licences ending next year, 14 in use),
installed on the laptops (assets whose CI is named "LT-..."; missing ones are added as DEMO-LT-n); and two
critical patches missing on the server of CI "lnx-db-01" (behind "Online Sales"), with installed patches on
the other servers and the laptops. What does not exist is skipped; running it again changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from assets import recording
from assets.models import Asset, Entitlement, SoftwareProduct
from cmdb import queries as cmdb_queries
from cmdb.models import CIClass

LAPTOPS_NEEDED = 14
ACROBAT_USERS = 9
INACTIVE = (Asset.Lifecycle.RETIRED, Asset.Lifecycle.DISPOSED)


def _laptops() -> list[Asset]:
    """The laptops in use, at most one per person so each install counts one user, topped up to 14."""
    laptops, people = [], set()
    for laptop in (Asset.objects.filter(ci__name__startswith="LT-").exclude(lifecycle__in=INACTIVE)
                   .order_by("ci__name")):
        if laptop.assigned_to_id is None or laptop.assigned_to_id not in people:
            laptops.append(laptop)
            people.add(laptop.assigned_to_id)
    laptops += list(Asset.objects.filter(asset_tag__startswith="DEMO-LT-").exclude(pk__in=[a.pk for a in laptops])
                    .order_by("pk"))  # in the order they were added, so a re-run picks the same nine for Acrobat
    free = iter(User.objects.filter(is_active=True).exclude(pk__in=people - {None})
                .exclude(assets__isnull=False).order_by("pk"))
    number = Asset.objects.filter(asset_tag__startswith="DEMO-LT-").count()
    while len(laptops) < LAPTOPS_NEEDED:
        number += 1
        laptops.append(Asset.objects.create(
            asset_tag=f"DEMO-LT-{number}", name=f"Demo laptop {number}", kind=Asset.Kind.HARDWARE,
            manufacturer="Lenovo", model="ThinkPad T14", lifecycle=Asset.Lifecycle.DEPLOYED,
            assigned_to=next(free, None)))
    return laptops[:LAPTOPS_NEEDED]


def _entitlement(product, **fields) -> None:
    Entitlement.objects.get_or_create(product=product, reference=fields.pop("reference"), defaults=fields)


def seed_software(tenant, *, admin) -> None:
    today = timezone.localdate()
    acrobat, _ = SoftwareProduct.objects.get_or_create(vendor="Adobe", name="Acrobat Pro")
    office, _ = SoftwareProduct.objects.get_or_create(vendor="Microsoft", name="Microsoft 365 E3")
    _entitlement(acrobat, reference="ADOBE-VIP-2025", metric=Entitlement.Metric.PER_USER, quantity=25,
                 unit_cost=Decimal("179.88"), starts_on=today - timedelta(days=300))
    _entitlement(office, reference="MS-EA-E3", metric=Entitlement.Metric.SUBSCRIPTION, quantity=10,
                 unit_cost=Decimal("432.00"), starts_on=today - timedelta(days=200),
                 ends_on=date(today.year + 1, 6, 30))
    laptops = _laptops()
    rows = [{"vendor": "Microsoft", "product": "Microsoft 365 E3", "asset": laptop.asset_tag, "version": "2411"}
            for laptop in laptops]
    rows += [{"vendor": "Adobe", "product": "Acrobat Pro", "asset": laptop.asset_tag, "version": "24.005"}
             for laptop in laptops[:ACROBAT_USERS]]
    recording.upsert_installations(rows, by=admin, source="demo")

    released = today - timedelta(days=40)
    installed_on = (today - timedelta(days=30)).isoformat()
    critical = [("CVE-2026-0101", "OpenSSL", "OpenSSL: remote code execution in the TLS handshake"),
                ("CVE-2026-0102", "Linux kernel", "Kernel: privilege escalation via io_uring")]
    patch_rows = []
    db = Asset.objects.filter(ci__name="lnx-db-01").exclude(lifecycle__in=INACTIVE).first()
    if db is not None:
        patch_rows += [{"patch_id": pid, "product": product, "title": title, "severity": "critical",
                        "released_on": released.isoformat(), "asset": db.asset_tag, "state": "missing"}
                       for pid, product, title in critical]
    servers = cmdb_queries.descendant_ids(CIClass.objects.filter(key="server").values_list("pk", flat=True))
    for server in (Asset.objects.filter(ci__ci_class__in=servers).exclude(lifecycle__in=INACTIVE)
                   .exclude(pk=getattr(db, "pk", None)).order_by("asset_tag")):
        patch_rows += [{"patch_id": pid, "product": product, "title": title, "severity": "critical",
                        "released_on": released.isoformat(), "asset": server.asset_tag, "state": "installed",
                        "installed_on": installed_on} for pid, product, title in critical]
    patch_rows += [{"patch_id": "KB5034441", "product": "Windows 11", "title": "Cumulative update",
                    "severity": "important", "released_on": released.isoformat(), "asset": laptop.asset_tag,
                    "state": "installed", "installed_on": installed_on} for laptop in laptops]
    recording.upsert_patch_states(patch_rows, by=admin, source="demo")
