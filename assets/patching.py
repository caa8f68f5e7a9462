"""Patch compliance: per asset, overall, per business service, and the business services on unpatched servers.

Patch state is what imports and the API reported (``PatchState``: installed or missing, per asset and
patch); an asset with no reported state is not counted. Retired and disposed assets are left out: they run
nothing. "% installed" is installed / reported states, to one decimal place (half up).

Business services reach their infrastructure through the CMDB: the CIs a service depends on are
``cmdb.impact.upstream`` of its CI, and those that represent an asset (``Asset.ci``) carry its patch states.

"Critical servers" here means **servers missing a critical patch**: CIs of the class Server or any class
below it (``cmdb.queries.descendant_ids``) whose asset has at least one critical-severity patch missing.
Each one is shown with its CI criticality too, so a server that is *also* rated critical in the CMDB
(criticality 1) is flagged as such and listed first: both facts, never one folded into the other.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from assets.models import Asset, Patch, PatchState
from cmdb import impact
from cmdb import queries as cmdb_queries
from cmdb.models import CI, CIClass

INACTIVE_LIFECYCLES = (Asset.Lifecycle.RETIRED, Asset.Lifecycle.DISPOSED)
MISSING = PatchState.State.MISSING
INSTALLED = PatchState.State.INSTALLED
CRITICAL, IMPORTANT = Patch.Severity.CRITICAL, Patch.Severity.IMPORTANT


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Counts:
    total: int
    installed: int
    missing_critical: int
    missing_important: int

    @property
    def missing(self) -> int:
        return self.total - self.installed

    @property
    def percent_installed(self) -> Decimal | None:
        return percent(self.installed, self.total)

    @property
    def compliant(self) -> bool:
        """No critical or important patch missing."""
        return not (self.missing_critical or self.missing_important)


_COUNTS = {
    "total": Count("pk"),
    "installed": Count("pk", filter=Q(state=INSTALLED)),
    "missing_critical": Count("pk", filter=Q(state=MISSING, patch__severity=CRITICAL)),
    "missing_important": Count("pk", filter=Q(state=MISSING, patch__severity=IMPORTANT)),
}


def _states():
    return PatchState.objects.exclude(asset__lifecycle__in=INACTIVE_LIFECYCLES)


def _counts(row: dict) -> Counts:
    return Counts(**{name: row[name] or 0 for name in _COUNTS})


@dataclass(frozen=True)
class AssetCompliance:
    asset: Asset
    counts: Counts


WORST_FIRST = ("-missing_critical", "-missing_important", "asset__asset_tag")


def per_asset(assets=None, *, limit: int | None = None) -> list[AssetCompliance]:
    """Each asset with reported patch states (or each of ``assets``), worst first: most missing critical,
    then most missing important, then tag; the first ``limit`` of them. Ordered and cut in the database;
    two queries."""
    states = _states()
    if assets is not None:
        states = states.filter(asset__in=assets)
    rows = states.values("asset_id").annotate(**_COUNTS).order_by(*WORST_FIRST)
    rows = list(rows[:limit] if limit is not None else rows)
    found = Asset.objects.select_related("ci", "ci__ci_class").in_bulk([row["asset_id"] for row in rows])
    return [AssetCompliance(found[row["asset_id"]], _counts(row)) for row in rows]


@dataclass(frozen=True)
class Overall:
    counts: Counts
    assets: int
    compliant_assets: int

    @property
    def percent_compliant_assets(self) -> Decimal | None:
        return percent(self.compliant_assets, self.assets)


def overall() -> Overall:
    """Every reported state of every asset in use, and how many assets miss no critical or important patch
    (two queries)."""
    states = _states()
    totals = states.aggregate(**_COUNTS)
    per_asset_rows = states.values("asset_id").annotate(
        bad=Count("pk", filter=Q(state=MISSING, patch__severity__in=[CRITICAL, IMPORTANT]))).order_by()
    assets = per_asset_rows.aggregate(assets=Count("asset_id"), compliant=Count("asset_id", filter=Q(bad=0)))
    return Overall(_counts(totals), assets["assets"] or 0, assets["compliant"] or 0)


def missing_assets(patch: Patch):
    """The assets in use that miss ``patch``, by tag, with their CI."""
    return (Asset.objects.filter(patch_states__patch=patch, patch_states__state=MISSING)
            .exclude(lifecycle__in=INACTIVE_LIFECYCLES).select_related("ci", "ci__ci_class", "assigned_to")
            .order_by("asset_tag"))


def patches_with_counts():
    """Every patch with how many assets in use have it installed and how many miss it."""
    active = ~Q(states__asset__lifecycle__in=INACTIVE_LIFECYCLES)
    return Patch.objects.annotate(
        installed_count=Count("states", filter=Q(states__state=INSTALLED) & active),
        missing_count=Count("states", filter=Q(states__state=MISSING) & active),
    ).order_by("-missing_count", "patch_id")


# -- business services -----------------------------------------------------------------------------

def business_services():
    return CI.objects.filter(ci_class__in=cmdb_queries.business_service_class_ids()).exclude(
        status=CI.Status.RETIRED).select_related("ci_class").order_by("name")


@dataclass
class ServiceCompliance:
    service: CI
    assets: list[AssetCompliance] = field(default_factory=list)

    @property
    def counts(self) -> Counts:
        return Counts(*(sum(getattr(a.counts, name) for a in self.assets) for name in _COUNTS))

    @property
    def unpatched_critical(self) -> list[AssetCompliance]:
        return [a for a in self.assets if a.counts.missing_critical]


def for_service(service: CI, *, depth: int = impact.DEFAULT_DEPTH) -> ServiceCompliance:
    """The assets behind one business service and their patch compliance: one upstream walk + two queries."""
    ci_ids = [reached.ci_id for reached in impact.upstream([service.pk], depth=depth)]
    assets = Asset.objects.filter(ci__in=ci_ids) if ci_ids else Asset.objects.none()
    return ServiceCompliance(service, per_asset(assets) if ci_ids else [])


def per_service(services=None, *, depth: int = impact.DEFAULT_DEPTH) -> list[ServiceCompliance]:
    """Patch compliance of each business service.

    One upstream walk per service (the walk merges its starting points, so a shared server could not be
    told apart otherwise), then one query for every state of every asset reached: 3 + services queries.
    """
    services = list(services if services is not None else business_services())
    behind: dict[int, set[int]] = {}
    for service in services:
        behind[service.pk] = {reached.ci_id for reached in impact.upstream([service.pk], depth=depth)}
    all_ci = set().union(*behind.values()) if behind else set()
    by_ci: dict[int, AssetCompliance] = {}
    if all_ci:
        for row in per_asset(Asset.objects.filter(ci__in=all_ci)):
            by_ci[row.asset.ci_id] = row
    result = []
    for service in services:
        rows = [by_ci[ci_id] for ci_id in behind[service.pk] if ci_id in by_ci]
        rows.sort(key=lambda r: (-r.counts.missing_critical, -r.counts.missing_important, r.asset.asset_tag))
        result.append(ServiceCompliance(service, rows))
    return result


@dataclass(frozen=True)
class UnpatchedServer:
    asset: Asset
    ci: CI
    missing_critical: list[Patch]

    @property
    def rated_critical(self) -> bool:
        return self.ci.criticality == CI.Criticality.CRITICAL


@dataclass(frozen=True)
class ServiceAtRisk:
    service: CI
    server: UnpatchedServer  # the nearest unpatched server behind it
    path: list[CI]  # server ... service, as the failure travels
    via: tuple[str, ...]
    depth: int
    # Every unpatched server behind it, nearest first, when the caller had the services' upstream already
    # (``behind=``); else just the nearest.
    servers: list[UnpatchedServer] = field(default_factory=list)


def unpatched_critical_servers() -> list[UnpatchedServer]:
    """Servers (class Server or below) whose asset is in use and misses a critical patch (three queries)."""
    server_classes = cmdb_queries.descendant_ids(CIClass.objects.filter(key="server").values_list("pk", flat=True))
    if not server_classes:
        return []
    states = (_states().filter(state=MISSING, patch__severity=CRITICAL, asset__ci__ci_class__in=server_classes)
              .select_related("asset", "asset__ci", "asset__ci__ci_class", "patch")
              .order_by("asset__ci__criticality", "asset__ci__name", "patch__patch_id"))
    grouped: dict[int, list[PatchState]] = defaultdict(list)
    for state in states:
        grouped[state.asset_id].append(state)
    return [UnpatchedServer(rows[0].asset, rows[0].asset.ci, [s.patch for s in rows]) for rows in grouped.values()]


def services_on_unpatched_critical_servers(*, depth: int = impact.DEFAULT_DEPTH,
                                           behind: list[ServiceCompliance] | None = None) -> list[ServiceAtRisk]:
    """The business services that a server missing a critical patch is behind (see the module docstring).

    A fixed number of queries whatever the estate: the unpatched servers (3), one walk from all of them at
    once to the business services downstream, and the CIs on the paths (1). The walk keeps the
    shortest path to each CI, so each service is listed with its *nearest* unpatched server and the path
    from it. A caller that has the services' upstream already (``per_service``, as the desk page does)
    passes it as ``behind`` to have every unpatched server behind each service too, at no extra query.
    Ordered: services behind a server rated critical in the CMDB first, then by service criticality and name.
    """
    servers = unpatched_critical_servers()
    if not servers:
        return []
    by_ci = {server.ci.pk: server for server in servers}
    # Only the business services downstream, filtered in the walk itself (servers are never services).
    reached = impact.impacted_services(list(by_ci), depth=depth)
    if not reached:
        return []
    path_ids = {ci_id for r in reached for ci_id in r.path}
    cis = CI.objects.in_bulk(path_ids)
    assets_behind = {row.service.pk: {a.asset.ci_id for a in row.assets} for row in behind or []}
    found = []
    for r in reached:
        service = cis.get(r.ci_id)
        if service is None or service.status == CI.Status.RETIRED:
            continue
        nearest = by_ci[r.path[0]]
        others = [server for ci_id, server in by_ci.items()
                  if ci_id in assets_behind.get(service.pk, ()) and ci_id != nearest.ci.pk]
        found.append(ServiceAtRisk(service=service, server=nearest, path=[cis[i] for i in r.path],
                                   via=r.via, depth=r.depth, servers=[nearest, *others]))
    found.sort(key=lambda s: (not s.server.rated_critical, s.service.criticality, s.service.name.lower()))
    return found
