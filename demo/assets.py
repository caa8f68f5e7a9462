"""Demo assets: the laptops and servers of the CMDB demo estate as hardware assets, with purchase data and contracts.

``populate_assets(tenant)`` expects the CMDB demo (laptops "LT-0001"... for the demo people, servers
"lnx-web-01", "lnx-web-02", "lnx-db-01", "win-pay-01") and links each asset to its CI; a CI that is
missing is skipped. Purchase data is deterministic (seeded by the CI's name), one laptop's warranty
ends within 30 days, and the servers' support contract ends in 20 days (inside its reminder window).
Running it again changes nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from assets import ci_sync, contracts, services
from assets.models import Asset, Contract
from cmdb.models import CI

SERVERS = {
    "lnx-web-01": ("HPE", "ProLiant DL360 Gen10"),
    "lnx-web-02": ("HPE", "ProLiant DL360 Gen10"),
    "lnx-db-01": ("Dell", "PowerEdge R750"),
    "win-pay-01": ("Dell", "PowerEdge R650"),
}
LAPTOPS = [("Lenovo", "ThinkPad T14 Gen 3"), ("Dell", "Latitude 7440"), ("Lenovo", "ThinkPad X1 Carbon Gen 11")]
SUPPORT_NUMBER, LEASE_NUMBER = "SUP-DC-2024-01", "LEASE-LT-2024"


def _purchase(name: str, *, cost_range: tuple[int, int], warranty_years: int, today) -> dict:
    rng = random.Random(name)
    bought = today - timedelta(days=rng.randint(365, 3 * 365))
    return {"cost": Decimal(rng.randint(*cost_range)) + Decimal("0.99"), "purchase_date": bought,
            "order_number": f"PO-{bought.year}-{rng.randint(1000, 9999)}",
            "warranty_end": bought + timedelta(days=365 * warranty_years)}


def _asset_for(ci: CI, *, by, today, **fields) -> Asset:
    existing = Asset.objects.filter(ci=ci).first()
    if existing is not None:
        return existing
    if not ci.owner_user_id and not fields.get("location"):
        fields["location"] = "Head office, IT store room"
    asset = services.create_asset(by=by, source="demo", name=ci.name, lifecycle=Asset.Lifecycle.DEPLOYED,
                                  assigned_to=ci.owner_user, **fields)
    return ci_sync.link_ci(asset, ci, by=by, source="demo")


@transaction.atomic
def _populate(slug: str) -> None:
    admin = User.objects.filter(email=f"admin@{slug}.example").first() or \
        User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        return
    owner = User.objects.filter(email=f"agent@{slug}.example").first() or admin
    today = timezone.localdate()
    servers = []
    for name, (manufacturer, model) in SERVERS.items():
        ci = CI.objects.filter(name=name).first()
        if ci is None:
            continue
        purchase = _purchase(name, cost_range=(6500, 14500), warranty_years=3, today=today)
        servers.append(_asset_for(ci, by=admin, today=today, manufacturer=manufacturer, model=model,
                                  vendor=manufacturer, location="DC1, rack 4", salvage_value=Decimal("500.00"),
                                  useful_life_months=60, **purchase))
    laptops = []
    for index, ci in enumerate(CI.objects.filter(name__startswith="LT-").order_by("name")):
        manufacturer, model = LAPTOPS[index % len(LAPTOPS)]
        purchase = _purchase(ci.name, cost_range=(1100, 1900), warranty_years=3, today=today)
        if index == 0:  # the one whose warranty runs out this month
            purchase["warranty_end"] = today + timedelta(days=18)
        laptops.append(_asset_for(ci, by=admin, today=today, manufacturer=manufacturer, model=model,
                                  vendor=f"{manufacturer} Direct", salvage_value=Decimal("100.00"),
                                  useful_life_months=36, **purchase))
    if servers and not Contract.objects.filter(vendor="HPE", number=SUPPORT_NUMBER).exists():
        contracts.create_contract(by=admin, kind=Contract.Kind.SUPPORT, number=SUPPORT_NUMBER, vendor="HPE",
                                  starts_on=today - timedelta(days=345), ends_on=today + timedelta(days=20),
                                  cost=Decimal("18400.00"), renewal_notice_days=45, owner=admin, assets=servers,
                                  notes="24x7 four-hour on-site hardware support for the data-centre servers.")
    if laptops and not Contract.objects.filter(vendor="Lenovo Financial Services", number=LEASE_NUMBER).exists():
        contracts.create_contract(by=admin, kind=Contract.Kind.LEASE, number=LEASE_NUMBER,
                                  vendor="Lenovo Financial Services", starts_on=today - timedelta(days=400),
                                  ends_on=today + timedelta(days=420), cost=Decimal("42.50") * 36 * len(laptops),
                                  renewal_notice_days=90, owner=owner, assets=laptops,
                                  notes="36-month operating lease; devices go back at the end or are bought out.")


def populate_assets(tenant) -> None:
    """In ``tenant``'s schema: assets for the demo estate's laptops and servers, and their two contracts."""
    with schema_context(tenant.schema_name):
        _populate(tenant.slug)
