"""Licence compliance arithmetic: every metric, lapsed and future entitlements, retired devices, users
counted once, the core fallbacks, the cost of the gap in exact Decimals, and a fixed number of queries."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assets import licensing
from assets.models import Asset, Entitlement, Installation, SoftwareProduct
from cmdb import services as cmdb
from cmdb.models import CIClass
from tests.factories import RequesterFactory

pytestmark = pytest.mark.django_db


def asset(tag, *, user=None, lifecycle=Asset.Lifecycle.DEPLOYED, ci=None):
    return Asset.objects.create(asset_tag=tag, name=tag, lifecycle=lifecycle, assigned_to=user, ci=ci)


def line(result, basis):
    return next(item for item in result.lines if item.basis == basis)


def by_name(results):
    return {result.product.name: result for result in results}


def test_per_user_counts_each_person_once_and_a_device_without_a_user_as_its_own_seat(tenant):
    today = timezone.localdate()
    ann, bob = RequesterFactory(), RequesterFactory()
    product = SoftwareProduct.objects.create(vendor="Adobe", name="Acrobat Pro")
    Entitlement.objects.create(product=product, metric="per_user", quantity=10, unit_cost=Decimal("120.00"))
    Entitlement.objects.create(product=product, metric="per_user", quantity=5, unit_cost=Decimal("90.00"))
    # Ann on two laptops (counted once); Bob named on the installation of a shared PC; a kiosk with nobody;
    # a retired laptop of a third person consumes nothing.
    for tag, user in (("LT-1", ann), ("LT-2", ann)):
        Installation.objects.create(product=product, asset=asset(tag, user=user))
    Installation.objects.create(product=product, asset=asset("PC-1"), user=bob)
    Installation.objects.create(product=product, asset=asset("KIOSK-1"))
    Installation.objects.create(product=product, asset=asset("LT-3", user=RequesterFactory(),
                                                             lifecycle=Asset.Lifecycle.RETIRED))
    result = licensing.compliance_of(product, today=today)
    users = line(result, licensing.USERS)
    assert (users.entitled, users.consumed, users.gap, users.status) == (15, 3, 12, licensing.OVER)
    # Weighted average: (10 x 120 + 5 x 90) / 15 = 110; 12 spare seats x 110.
    assert users.unit_cost == Decimal("110") and users.gap_cost == Decimal("1320.00")
    assert result.status == licensing.OVER and result.shelfware_cost == Decimal("1320.00")
    assert [item.basis for item in result.lines] == [licensing.USERS]


def test_subscriptions_lapse_and_future_entitlements_count_zero(tenant):
    today = date(2026, 6, 1)
    product = SoftwareProduct.objects.create(vendor="Microsoft", name="365 E3")
    Entitlement.objects.create(product=product, metric="subscription", quantity=10, unit_cost=Decimal("33.33"),
                               ends_on=today + timedelta(days=200))
    Entitlement.objects.create(product=product, metric="subscription", quantity=50, unit_cost=Decimal("30.00"),
                               ends_on=today - timedelta(days=1))  # lapsed yesterday
    Entitlement.objects.create(product=product, metric="per_user", quantity=7, unit_cost=Decimal("40.00"),
                               starts_on=today + timedelta(days=1))  # not started
    for n in range(14):
        Installation.objects.create(product=product, asset=asset(f"LT-{n}", user=RequesterFactory()))
    users = line(licensing.compliance_of(product, today=today), licensing.USERS)
    assert (users.entitled, users.consumed, users.gap, users.status) == (10, 14, -4, licensing.UNDER)
    # Only the valid subscription prices the shortfall: 4 x 33.33, exactly.
    assert users.gap_cost == Decimal("133.32")
    # The day it ends the subscription still counts (with the per-user licences started meanwhile); the next
    # day only those do.
    assert line(licensing.compliance_of(product, today=today + timedelta(days=200)), licensing.USERS).entitled == 17
    lapsed = line(licensing.compliance_of(product, today=today + timedelta(days=201)), licensing.USERS)
    assert lapsed.entitled == 7 and lapsed.gap == -7 and lapsed.unit_cost == Decimal("40")
    # With every entitlement lapsed, the price last paid (quantity-weighted over the lapsed ones) prices the gap.
    Entitlement.objects.filter(metric="per_user").delete()
    gone = line(licensing.compliance_of(product, today=today + timedelta(days=201)), licensing.USERS)
    assert gone.entitled == 0 and gone.gap_cost == Decimal("14") * (Decimal("333.30") + Decimal("1500")) / 60


def test_per_device_excludes_retired_and_disposed_and_weights_the_unit_cost(tenant):
    product = SoftwareProduct.objects.create(vendor="Vendor", name="Agent")
    Entitlement.objects.create(product=product, metric="per_device", quantity=1, unit_cost=Decimal("10.00"))
    Entitlement.objects.create(product=product, metric="per_device", quantity=2, unit_cost=Decimal("10.01"))
    for tag, lifecycle in (("A", "deployed"), ("B", "in_repair"), ("C", "in_stock"), ("D", "retired"), ("E", "disposed")):
        Installation.objects.create(product=product, asset=asset(tag, lifecycle=lifecycle))
    devices = line(licensing.compliance_of(product), licensing.DEVICES)
    assert (devices.entitled, devices.consumed, devices.status) == (3, 3, licensing.COMPLIANT)
    assert devices.gap_cost == Decimal("0.00")
    Installation.objects.create(product=product, asset=asset("F"))
    devices = line(licensing.compliance_of(product), licensing.DEVICES)
    # (10.00 + 2 x 10.01) / 3 = 10.00666..., one short: 10.01 after rounding once, at the end.
    assert devices.gap == -1 and devices.gap_cost == Decimal("10.01")


def test_per_core_takes_the_installation_then_the_ci_then_one_flagged(tenant, agent):
    server_class = CIClass.objects.get(key="linux_server")
    with_cores = cmdb.create_ci(by=agent, name="db01", ci_class=server_class, attributes={"cpu_cores": 16})
    without = cmdb.create_ci(by=agent, name="db02", ci_class=server_class)
    product = SoftwareProduct.objects.create(vendor="Oracle", name="Database EE")
    Entitlement.objects.create(product=product, metric="per_core", quantity=24, unit_cost=Decimal("1500.50"))
    Installation.objects.create(product=product, asset=asset("S1"), cores=8)
    Installation.objects.create(product=product, asset=asset("S2", ci=with_cores))
    Installation.objects.create(product=product, asset=asset("S3", ci=without))
    Installation.objects.create(product=product, asset=asset("S4"))
    cores = line(licensing.compliance_of(product), licensing.CORES)
    assert (cores.consumed, cores.estimated, cores.gap) == (8 + 16 + 1 + 1, 2, -2)
    assert cores.gap_cost == Decimal("3001.00")


def test_products_without_entitlements_are_short_at_an_unknown_price_and_totals_add_up(tenant):
    bare = SoftwareProduct.objects.create(vendor="Zed", name="Unlicensed")
    Installation.objects.create(product=bare, asset=asset("X1"))
    idle = SoftwareProduct.objects.create(vendor="Zed", name="Idle")
    Entitlement.objects.create(product=idle, metric="per_device", quantity=3, unit_cost=Decimal("2.50"))
    SoftwareProduct.objects.create(vendor="Zed", name="Nothing at all")
    results = by_name(licensing.compliance())
    bare_line = line(results["Unlicensed"], licensing.DEVICES)
    assert (bare_line.entitled, bare_line.consumed, bare_line.gap_cost) == (0, 1, None)
    assert results["Unlicensed"].shortfall_cost is None
    assert results["Idle"].shelfware_cost == Decimal("7.50")
    assert results["Nothing at all"].lines == [] and results["Nothing at all"].status == licensing.COMPLIANT
    totals = licensing.totals(list(results.values()))
    assert (totals.under, totals.over, totals.shortfall_cost, totals.shelfware_cost) == (1, 1, None, Decimal("7.50"))


def test_all_products_in_three_queries(tenant, django_assert_num_queries):
    for n in range(6):
        product = SoftwareProduct.objects.create(vendor="V", name=f"P{n}")
        for metric in ("per_user", "per_device", "per_core"):
            Entitlement.objects.create(product=product, metric=metric, quantity=n + 1, unit_cost=Decimal("1.00"))
        Installation.objects.create(product=product, asset=asset(f"T{n}", user=RequesterFactory()), cores=2)
    with django_assert_num_queries(3):
        results = licensing.compliance()
    assert len(results) == 6 and all(len(result.lines) == 3 for result in results)
