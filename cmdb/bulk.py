"""Set-based writes for imports: many CIs inserted or updated, and their sightings, in a few statements.

The same records as ``cmdb.services`` writes one by one (a ``created`` or ``updated`` history entry with
the changes, the source's sighting, ``last_seen_at``), for rows the caller has already validated and
matched inside its transaction (``cmdb.imports`` does, with the CIs locked). A failure here fails the
caller's savepoint; the caller then writes the rows one by one through ``cmdb.services``.
"""

from __future__ import annotations

import json

from django.db import connection
from django.utils import timezone

from cmdb.models import CI, CIHistory


def _author(by):
    return by if getattr(by, "pk", None) else None


def insert_cis(cis: list[CI], *, by, source: str) -> None:
    if not cis:
        return
    CI.objects.bulk_create(cis, batch_size=1000)
    CIHistory.objects.bulk_create(
        [CIHistory(ci=ci, kind=CIHistory.Kind.CREATED, author=_author(by), source=source) for ci in cis],
        batch_size=1000)


# What an import may change on a CI, with the SQL type its values are sent as (arrays travel as JSON).
_COLUMNS = (("name", "varchar"), ("ci_class_id", "bigint"), ("status", "varchar"), ("environment", "varchar"),
            ("criticality", "smallint"), ("description", "text"), ("owner_user_id", "bigint"),
            ("owner_group_id", "bigint"), ("support_group_id", "bigint"), ("serial_number", "varchar"),
            ("fqdn", "varchar"), ("cloud_id", "varchar"), ("attributes", "jsonb"), ("ip_addresses", "jsonb"),
            ("mac_addresses", "jsonb"), ("version", "integer"), ("updated_at", "timestamptz"))
_ARRAYS = {"ip_addresses": "inet", "mac_addresses": "varchar"}


def _column_sql(name: str) -> str:
    if name in _ARRAYS:
        return f"{name} = ARRAY(SELECT jsonb_array_elements_text(v.{name}))::{_ARRAYS[name]}[]"
    return f"{name} = v.{name}"


_UPDATE_SQL = (
    "UPDATE cmdb_ci AS ci SET " + ", ".join(_column_sql(name) for name, _ in _COLUMNS)
    + " FROM unnest(%s::bigint[], " + ", ".join(f"%s::{kind}[]" for _, kind in _COLUMNS) + ") AS v(id, "
    + ", ".join(name for name, _ in _COLUMNS) + ") WHERE ci.id = v.id")


def update_cis(updates: list[tuple[CI, list[dict]]], *, by, source: str) -> None:
    """``updates``: each CI with its new values set and the changes history records (never empty).

    One ``UPDATE ... FROM unnest(...)`` for the lot (Django's ``bulk_update`` builds a CASE per column
    and row, many times slower in Python than the write itself).
    """
    if not updates:
        return
    now = timezone.now()
    cis = [ci for ci, _ in updates]
    for ci in cis:
        ci.version += 1
        ci.updated_at = now
    values = [[ci.pk for ci in cis]]
    for name, kind in _COLUMNS:
        if kind == "jsonb":
            values.append([json.dumps(getattr(ci, name)) for ci in cis])
        else:
            values.append([getattr(ci, name) for ci in cis])
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_SQL, values)
    CIHistory.objects.bulk_create(
        [CIHistory(ci=ci, kind=CIHistory.Kind.UPDATED, author=_author(by), source=source, data={"changes": changes},
                   created_at=now) for ci, changes in updates], batch_size=1000)


def record_sightings(ci_ids, source: str, when) -> None:
    """``cmdb.services.record_sighting`` for many CIs: later sightings only move forward."""
    ci_ids = sorted(set(ci_ids))
    if not ci_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO cmdb_sighting (ci_id, source, first_seen, last_seen)
            SELECT id, %s, %s, %s FROM unnest(%s::bigint[]) AS id
            ON CONFLICT (ci_id, source) DO UPDATE SET last_seen = GREATEST(cmdb_sighting.last_seen, EXCLUDED.last_seen)
            """, [source, when, when, ci_ids])
        cursor.execute("UPDATE cmdb_ci SET last_seen_at = GREATEST(COALESCE(last_seen_at, %s), %s) WHERE id = ANY(%s)",
                       [when, when, ci_ids])
