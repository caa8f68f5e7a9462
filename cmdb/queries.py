"""Read paths of the CMDB: class lineage, the attributes a class carries, settings."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from cmdb.models import CI, AttributeDefinition, CIClass, CMDBSettings, ImportJob, Sighting


def lineage(ci_class: CIClass) -> list[CIClass]:
    """The class and its ancestors, root first (one query: a recursive CTE up the parent links)."""
    return list(CIClass.objects.raw(
        """
        WITH RECURSIVE up(id, depth) AS (
            SELECT id, 0 FROM cmdb_ciclass WHERE id = %s
            UNION ALL
            SELECT c.parent_id, up.depth + 1 FROM cmdb_ciclass c JOIN up ON c.id = up.id
            WHERE c.parent_id IS NOT NULL AND up.depth < 50
        )
        SELECT cmdb_ciclass.* FROM cmdb_ciclass JOIN up USING (id) ORDER BY up.depth DESC
        """, [ci_class.pk]))


def descendant_ids(class_ids) -> set[int]:
    """The given classes and every class below them."""
    class_ids = list(class_ids)
    if not class_ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE down(id, depth) AS (
                SELECT id, 0 FROM cmdb_ciclass WHERE id = ANY(%s)
                UNION
                SELECT c.id, down.depth + 1 FROM cmdb_ciclass c JOIN down ON c.parent_id = down.id
                WHERE down.depth < 50
            )
            SELECT DISTINCT id FROM down
            """, [class_ids])
        return {row[0] for row in cursor.fetchall()}


def definitions_for(ci_class: CIClass) -> list[AttributeDefinition]:
    """Every attribute a CI of this class carries: its ancestors' first, then its own."""
    classes = lineage(ci_class)
    order = {c.pk: index for index, c in enumerate(classes)}
    definitions = list(AttributeDefinition.objects.filter(ci_class__in=order).select_related("ci_class", "reference_class"))
    return sorted(definitions, key=lambda d: (order[d.ci_class_id], d.order, d.pk))


def is_business_service(ci_class: CIClass) -> bool:
    return any(c.is_business_service for c in lineage(ci_class))


def business_service_class_ids() -> set[int]:
    return descendant_ids(CIClass.objects.filter(is_business_service=True).values_list("pk", flat=True))


def settings() -> CMDBSettings:
    """The tenant's CMDB settings (the row is created with the defaults on first read)."""
    row, _ = CMDBSettings.objects.get_or_create(pk=1, defaults={"identification_rules": CMDBSettings.default_rules()})
    return row


def resolve_reference(definition: AttributeDefinition, value) -> int | None:
    """The id of the CI ``value`` names (an id, or an exact name), if its class is allowed, else None."""
    cis = CI.objects.all()
    if definition.reference_class_id:
        cis = cis.filter(ci_class__in=descendant_ids([definition.reference_class_id]))
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return cis.filter(pk=int(value)).values_list("pk", flat=True).first()
    matches = list(cis.filter(name=value).values_list("pk", flat=True)[:2])
    return matches[0] if len(matches) == 1 else None



def stale_cis(days: int, *, now=None, order: str = "last_seen"):
    """Live CIs no source has seen for ``days`` days (or ever), each with its sources' sightings.

    ``order``: ``last_seen`` (never seen first, then the oldest) or ``-last_seen`` (the most recent first).
    """
    cutoff = (now or timezone.now()) - timedelta(days=days)
    rows = (CI.objects.filter(Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True), status=CI.Status.LIVE)
            .select_related("ci_class", "support_group")
            .prefetch_related(Prefetch("sightings", queryset=Sighting.objects.order_by("source"))))
    if order == "-last_seen":
        return rows.order_by(F("last_seen_at").desc(nulls_last=True), "name", "pk")
    return rows.order_by(F("last_seen_at").asc(nulls_first=True), "name", "pk")


def import_jobs():
    """Past imports, newest first, with who started them."""
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-pk")
