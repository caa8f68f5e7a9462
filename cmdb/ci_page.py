"""What the CI page shows, each part read in a fixed number of queries (tests pin the total).

Relationships are split the way an engineer reads them: upstream is what the CI needs (a failure there
reaches it), downstream is what needs the CI. Which end needs which comes from the type's ``impact``; a type
that propagates nothing is listed by direction and marked so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cmdb import impact, links, queries
from cmdb.models import CI, AffectedCI, AttributeDefinition, CIHistory, Relationship, RelationshipType, Sighting
from tickets import types as ticket_types
from tickets.registry import ticket_models

IMPACT_LIMIT = 100
HISTORY_LIMIT = 100
RELATIONSHIP_LIMIT = 200


def ci_for_page():
    return CI.objects.select_related("ci_class", "owner_user", "owner_group", "support_group")


@dataclass
class AttributeGroup:
    ci_class: object
    rows: list  # (definition, display value, link or "")


def attribute_groups(ci: CI, lineage) -> list[AttributeGroup]:
    """The CI's attributes under the class that defines each, root class first."""
    definitions = AttributeDefinition.objects.filter(ci_class__in=[c.pk for c in lineage]).order_by("order", "id")
    references = [ci.attributes[d.name] for d in definitions
                  if d.type == AttributeDefinition.Type.REFERENCE and isinstance(ci.attributes.get(d.name), int)]
    names = dict(CI.objects.filter(pk__in=references).values_list("pk", "name")) if references else {}
    by_class = defaultdict(list)
    for definition in definitions:
        value = ci.attributes.get(definition.name)
        link = ""
        if value is None:
            shown = ""
        elif definition.type == AttributeDefinition.Type.BOOLEAN:
            shown = "Yes" if value else "No"
        elif definition.type == AttributeDefinition.Type.REFERENCE:
            shown = names.get(value, f"CI {value} (deleted)")
            link = reverse("cmdb:detail", args=[value]) if value in names else ""
        else:
            shown = str(value)
        by_class[definition.ci_class_id].append((definition, shown, link))
    return [AttributeGroup(c, by_class[c.pk]) for c in lineage if by_class[c.pk]]


@dataclass
class Related:
    relationship: Relationship
    label: str  # the type read from this CI: "runs on", "hosts"
    other: CI
    propagates: bool
    url: str = ""  # the other CI's page
    remove_url: str = ""


def relationships(ci: CI) -> tuple[list[Related], list[Related], bool]:
    """(upstream, downstream, truncated): the CI's relationships with the other end's class loaded.

    At most ``RELATIONSHIP_LIMIT`` are listed (a core switch may have thousands); the graph and the impact
    list summarise the rest.
    """
    # Only what the list shows: whole CIs and classes at both ends cost an access switch's page 40 ms in Python.
    rows = list(Relationship.objects.filter(Q(source=ci) | Q(target=ci)).select_related(
        "type", "source__ci_class", "target__ci_class").only(
        "source", "target", "discovered_by", "type__name", "type__reverse_name", "type__impact",
        "source__name", "source__ci_class__name", "target__name", "target__ci_class__name",
    ).order_by("type__name", "id")[:RELATIONSHIP_LIMIT + 1])
    truncated = len(rows) > RELATIONSHIP_LIMIT
    url_of, remove_url_of = links.ci_detail_urls(), links.url_maker("cmdb:relationship_remove", ci.pk)
    upstream, downstream = [], []
    for r in rows[:RELATIONSHIP_LIMIT]:
        outgoing = r.source_id == ci.pk
        label = r.type.name if outgoing else r.type.reverse_name
        other = r.target if outgoing else r.source
        propagates = r.type.impact != RelationshipType.Impact.NONE
        # The source needs the target unless the type says a failure of the source reaches the target.
        needs_other = outgoing != (r.type.impact == RelationshipType.Impact.TO_TARGET)
        (upstream if needs_other else downstream).append(Related(r, label[:1].lower() + label[1:], other, propagates,
                                                                 url_of(other.pk), remove_url_of(r.pk)))
    return upstream, downstream, truncated


@dataclass
class SeenBy:
    source: str
    first_seen: object
    last_seen: object
    stale: bool


def sightings(ci: CI) -> tuple[list[SeenBy], int]:
    days = queries.settings().stale_after_days
    cutoff = timezone.now() - timedelta(days=days)
    rows = [SeenBy(s.source, s.first_seen, s.last_seen, s.last_seen < cutoff)
            for s in Sighting.objects.filter(ci=ci).order_by("-last_seen")]
    return rows, days


@dataclass
class Step:
    ci_id: int
    name: str
    url: str
    via: str = ""  # how the previous CI reaches this one, read from the previous: "hosts", "used by"


@dataclass
class Impacted:
    ci: CI
    depth: int
    is_service: bool
    steps: list[Step] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.steps[-1].url


@dataclass
class Impact:
    services: list[Impacted]
    others: list[Impacted]
    total: int
    shown: int
    service_count: int
    other_count: int


def impact_of(ci: CI, relationship_types, service_class_ids: set[int]) -> Impact:
    """What a failure of the CI takes down (to cmdb.impact's default depth): services first, nearest first.

    Only the rows shown (``IMPACT_LIMIT``) and the CIs on their paths are loaded: a core device can reach
    most of the estate, and the page must not load it all to show the nearest hundred.
    """
    reached = impact.downstream([ci.pk], depth=impact.DEFAULT_DEPTH)
    service_ids = set(CI.objects.filter(ci_class__in=service_class_ids).values_list("pk", flat=True)) \
        if service_class_ids else set()
    reached.sort(key=lambda row: (row.ci_id not in service_ids, row.depth, row.ci_id))
    kept = reached[:IMPACT_LIMIT]
    cis = CI.objects.filter(pk__in={pk for row in kept for pk in row.path}).select_related("ci_class").only(
        "name", "status", "criticality", "ci_class__name", "ci_class_id")
    by_id = {other.pk: other for other in cis}
    by_key = {t.key: t for t in relationship_types}
    url_of = links.ci_detail_urls()
    rows = []
    for row in kept:
        target = by_id.get(row.ci_id)
        if target is None:
            continue
        steps = []
        for index, pk in enumerate(row.path):
            via = ""
            if index:
                kind = by_key.get(row.via[index - 1])
                # The walk goes against a to_source relationship (the hop's end needs its start): read it backwards.
                via = (kind.reverse_name if kind.impact == RelationshipType.Impact.TO_SOURCE else kind.name) \
                    if kind else row.via[index - 1]
                via = via[:1].lower() + via[1:]
            name = by_id[pk].name if pk in by_id else ci.name
            steps.append(Step(pk, name, url_of(pk), via))
        rows.append(Impacted(target, row.depth, row.ci_id in service_ids, steps))
    rows.sort(key=lambda r: (not r.is_service, r.depth, r.ci.name.lower()))
    services = sum(1 for row in reached if row.ci_id in service_ids)
    return Impact([r for r in rows if r.is_service], [r for r in rows if not r.is_service], len(reached), len(rows),
                  services, len(reached) - services)


# History stores raw values (what an import or the API sent); people read the choices' labels.
CHOICE_LABELS = {name: {str(value): label for value, label in CI._meta.get_field(name).choices}
                 for name in ("status", "environment", "criticality")}


def history(ci: CI) -> list[CIHistory]:
    entries = list(CIHistory.objects.filter(ci=ci).select_related("author").order_by("-created_at", "-id")[:HISTORY_LIMIT])
    for entry in entries:
        entry.changes = [{**change, "old": _shown(change, "old"), "new": _shown(change, "new")}
                         for change in (entry.data or {}).get("changes", [])]
    return entries


def _shown(change: dict, side: str):
    value = change.get(side)
    labels = CHOICE_LABELS.get(change.get("field"))
    if labels and value is not None:
        return labels.get(str(value), value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return value


@dataclass
class NamedOn:
    number: str
    title: str
    state_label: str
    is_open: bool
    url: str | None
    type_label: str


def tickets_naming(ci: CI) -> list[NamedOn]:
    """The tickets of any registered type that name the CI: open ones first, newest first. One query per type."""
    ids_by_label = defaultdict(list)
    for label, ticket_id in AffectedCI.objects.filter(ci=ci).values_list("ticket_type", "ticket_id"):
        ids_by_label[label].append(ticket_id)
    rows = []
    known = set(ticket_models())
    for label, ids in sorted(ids_by_label.items()):
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        if model not in known:  # a label of an app since removed, or of something that is no ticket
            continue
        ticket_type = ticket_types.for_model(model)
        for ticket in model._default_manager.filter(pk__in=ids).only("number", "title", "state", "opened_at"):
            url = reverse("desk:detail", kwargs={"type_slug": ticket_type.slug, "number": ticket.number}) \
                if ticket_type else None
            rows.append((ticket.opened_at, NamedOn(ticket.number, ticket.title, ticket.state_label, ticket.is_open, url,
                                                    ticket_type.label if ticket_type else model._meta.verbose_name)))
    rows.sort(key=lambda pair: pair[0], reverse=True)
    rows.sort(key=lambda pair: not pair[1].is_open)
    return [row for _, row in rows]
