"""Licence compliance: what each software product is entitled to against what its installations consume.

Counted in the database, for every product at once (three queries whatever the number of products), with
exact Decimal arithmetic for the money. The rules:

- **Metrics are counted on three bases.** Per-user and subscription entitlements license *users*, per-device
  entitlements *devices*, per-core entitlements *cores*. A product is measured on each basis any of its
  entitlements uses (a lapsed one included, so a product whose subscription ran out shows the shortfall);
  a product with installations but no entitlement at all is measured per device.
- **Only entitlements valid today count**: one that has not started (``starts_on`` after today) or has
  ended (``ends_on`` before today; a subscription always has an end) entitles zero.
- **Only devices in use consume**: installations on retired or disposed assets count on no basis.
- **Devices**: distinct assets with the product installed.
- **Users**: distinct users, where an installation's user is ``Installation.user``, else the asset's
  assigned user. An installation with neither (a kiosk, a server) is its device's own seat: it counts one,
  per device. A person using the product on three laptops counts once.
- **Cores**: the sum over installations of ``Installation.cores``; when it is empty, the CPU cores
  attribute (``cpu_cores``) of the asset's CI; when that is missing too, 1 per device, and the line is
  flagged (``estimated``: how many devices were counted at 1), since the true figure can only be higher.
- **Gap** = entitled - consumed. Positive: over-licensed (shelfware), negative: under-licensed (a shortfall),
  zero: compliant. A product is under-licensed if any basis is, else over-licensed if any basis is.
- **Cost of the gap** = |gap| x the basis's unit cost, where the unit cost is the quantity-weighted average
  of the unit costs of the entitlements valid today (sum of quantity x unit cost / sum of quantity); when
  none is valid (every one lapsed) the same average over the lapsed ones, the price last paid; when the
  product has no entitlement on that basis the cost is unknown (``None``). Rounded to cents, half up, once,
  at the end.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, IntegerField, Q, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import IsNull
from django.utils import timezone

from assets.models import Asset, Entitlement, Installation, SoftwareProduct

USERS, DEVICES, CORES = "users", "devices", "cores"
BASES = (USERS, DEVICES, CORES)
BASIS_LABELS = {USERS: "Users", DEVICES: "Devices", CORES: "Cores"}
BASIS_OF_METRIC = {
    Entitlement.Metric.PER_USER: USERS,
    Entitlement.Metric.SUBSCRIPTION: USERS,
    Entitlement.Metric.PER_DEVICE: DEVICES,
    Entitlement.Metric.PER_CORE: CORES,
}
INACTIVE_LIFECYCLES = (Asset.Lifecycle.RETIRED, Asset.Lifecycle.DISPOSED)

OVER, UNDER, COMPLIANT = "over_licensed", "under_licensed", "compliant"
STATUS_LABELS = {OVER: "Over-licensed", UNDER: "Under-licensed", COMPLIANT: "Compliant"}
STATUS_CHOICES = list(STATUS_LABELS.items())  # for the API (and its OpenAPI enum, LicenceStatusEnum)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    """One product on one basis."""

    basis: str
    entitled: int
    consumed: int
    unit_cost: Decimal | None  # unrounded weighted average; None when the product has no entitlement on the basis
    estimated: int = 0  # cores only: devices counted at 1 core for want of a figure

    @property
    def gap(self) -> int:
        return self.entitled - self.consumed

    @property
    def status(self) -> str:
        return OVER if self.gap > 0 else UNDER if self.gap < 0 else COMPLIANT

    @property
    def gap_cost(self) -> Decimal | None:
        if self.unit_cost is None:
            return None if self.gap else Decimal("0.00")
        return (abs(self.gap) * self.unit_cost).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def label(self) -> str:
        return BASIS_LABELS[self.basis]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class ProductCompliance:
    product: SoftwareProduct
    lines: list[Line] = field(default_factory=list)

    @property
    def status(self) -> str:
        statuses = {line.status for line in self.lines}
        return UNDER if UNDER in statuses else OVER if OVER in statuses else COMPLIANT

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def _cost(self, status) -> Decimal | None:
        costs = [line.gap_cost for line in self.lines if line.status == status]
        if any(cost is None for cost in costs):
            return None
        return sum(costs, Decimal("0.00"))

    @property
    def shortfall_cost(self) -> Decimal | None:
        """What buying the missing licences would cost (None: some shortfall has no known price)."""
        return self._cost(UNDER)

    @property
    def shelfware_cost(self) -> Decimal:
        """What the licences nobody uses cost."""
        return self._cost(OVER) or Decimal("0.00")


def _valid_on(today: date) -> Q:
    return (Q(starts_on__isnull=True) | Q(starts_on__lte=today)) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))


def _entitlement_sums(products, today: date) -> dict[tuple[int, str], dict]:
    """(product id, basis) -> quantity and value, valid today and lapsed (one query)."""
    valid = _valid_on(today)
    value = ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=DecimalField(max_digits=24, decimal_places=2))
    rows = (Entitlement.objects.filter(product__in=products).values("product_id", "metric")
            .annotate(valid_quantity=Coalesce(Sum("quantity", filter=valid), 0),
                      valid_value=Sum(value, filter=valid),
                      lapsed_quantity=Coalesce(Sum("quantity", filter=~valid), 0),
                      lapsed_value=Sum(value, filter=~valid))
            .order_by())
    sums: dict[tuple[int, str], dict] = defaultdict(lambda: {"quantity": 0, "value": Decimal(0),
                                                            "lapsed_quantity": 0, "lapsed_value": Decimal(0)})
    for row in rows:
        total = sums[(row["product_id"], BASIS_OF_METRIC[row["metric"]])]
        total["quantity"] += row["valid_quantity"]
        total["value"] += row["valid_value"] or 0
        total["lapsed_quantity"] += row["lapsed_quantity"]
        total["lapsed_value"] += row["lapsed_value"] or 0
    return sums


def _consumption(products) -> dict[int, dict]:
    """Product id -> devices, users, cores and estimated cores, from installations on devices in use (one query)."""
    no_user = Q(user__isnull=True, asset__assigned_to__isnull=True)
    ci_cores = Cast(KeyTextTransform("cpu_cores", "asset__ci__attributes"), IntegerField())
    rows = (Installation.objects.filter(product__in=products).exclude(asset__lifecycle__in=INACTIVE_LIFECYCLES)
            .values("product_id")
            .annotate(devices=Count("asset_id", distinct=True),
                      named_users=Count(Coalesce("user_id", "asset__assigned_to_id"), distinct=True),
                      device_seats=Count("pk", filter=no_user),
                      core_total=Sum(Coalesce("cores", ci_cores, Value(1))),
                      estimated=Count("pk", filter=IsNull(Coalesce("cores", ci_cores), True)))
            .order_by())
    return {row["product_id"]: {USERS: row["named_users"] + row["device_seats"], DEVICES: row["devices"],
                                CORES: row["core_total"] or 0, "estimated": row["estimated"]} for row in rows}


def _unit_cost(sums: dict | None) -> Decimal | None:
    if not sums:
        return None
    if sums["quantity"]:
        return Decimal(sums["value"]) / sums["quantity"]
    if sums["lapsed_quantity"]:
        return Decimal(sums["lapsed_value"]) / sums["lapsed_quantity"]
    return None


def compliance(products=None, *, today: date | None = None) -> list[ProductCompliance]:
    """Compliance of each product (all of them, or those of the ``products`` queryset), by vendor and name."""
    today = today or timezone.localdate()
    products = list(products if products is not None else SoftwareProduct.objects.all())
    entitled = _entitlement_sums(products, today)
    consumed = _consumption(products)
    results = []
    for product in products:
        used = consumed.get(product.pk, {})
        bases = [basis for basis in BASES if (product.pk, basis) in entitled] or ([DEVICES] if used else [])
        result = ProductCompliance(product)
        for basis in bases:
            sums = entitled.get((product.pk, basis))
            result.lines.append(Line(basis=basis, entitled=sums["quantity"] if sums else 0, consumed=used.get(basis, 0),
                                     unit_cost=_unit_cost(sums),
                                     estimated=used.get("estimated", 0) if basis == CORES else 0))
        results.append(result)
    return results


def compliance_of(product: SoftwareProduct, *, today: date | None = None) -> ProductCompliance:
    return compliance(SoftwareProduct.objects.filter(pk=product.pk), today=today)[0]


@dataclass(frozen=True)
class Totals:
    products: int
    under: int
    over: int
    shortfall_cost: Decimal | None
    shelfware_cost: Decimal


def totals(results: list[ProductCompliance]) -> Totals:
    shortfalls = [result.shortfall_cost for result in results if result.status == UNDER]
    return Totals(products=len(results), under=sum(1 for r in results if r.status == UNDER),
                  over=sum(1 for r in results if r.status == OVER),
                  shortfall_cost=None if any(cost is None for cost in shortfalls) else sum(shortfalls, Decimal("0.00")),
                  shelfware_cost=sum((r.shelfware_cost for r in results), Decimal("0.00")))
