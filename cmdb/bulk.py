"""Set-based writes for imports: many CIs inserted or updated, and their sightings, in a few statements.

The same records as ``cmdb.services`` writes one by one (a ``created`` or ``updated`` history entry with
the changes, the source's sighting, ``last_seen_at``), for rows the caller has already validated and
matched inside its transaction (``cmdb.imports`` does, with the CIs locked). A failure here fails the
caller's savepoint; the caller then writes the rows one by one through ``cmdb.services``.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from cmdb.models import CI, CIHistory


class _Encoder(DjangoJSONEncoder):
    """Datetimes to the microsecond (Django's encoder keeps milliseconds, which would move a stamp)."""

    def default(self, o):
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


def _author(by):
    return by if getattr(by, "pk", None) else None


# What an import may change on a CI, with the SQL type its values are read as (arrays travel as JSON).
_COLUMNS = (("name", "varchar"), ("ci_class_id", "bigint"), ("status", "varchar"), ("environment", "varchar"),
            ("criticality", "smallint"), ("description", "text"), ("owner_user_id", "bigint"),
            ("owner_group_id", "bigint"), ("support_group_id", "bigint"), ("serial_number", "varchar"),
            ("fqdn", "varchar"), ("cloud_id", "varchar"), ("attributes", "jsonb"), ("ip_addresses", "jsonb"),
            ("mac_addresses", "jsonb"), ("version", "integer"), ("updated_at", "timestamptz"),
            ("last_seen_at", "timestamptz"))
_ARRAYS = {"ip_addresses": "inet", "mac_addresses": "varchar"}


def _value_sql(name: str) -> str:
    if name in _ARRAYS:
        return f"ARRAY(SELECT jsonb_array_elements_text(v.{name}))::{_ARRAYS[name]}[]"
    return f"v.{name}"


def _recordset(columns) -> str:
    """The rows arrive as one JSON array of objects (one parameter, dumped by the C encoder)."""
    return "jsonb_to_recordset(%s::jsonb) AS v(" + ", ".join(f"{name} {kind}" for name, kind in columns) + ")"


def _records(cis, columns) -> str:
    return json.dumps([{name: getattr(ci, name) for name, _ in columns} for ci in cis], cls=_Encoder)


_UPDATE_COLUMNS = (("id", "bigint"), *_COLUMNS)
_UPDATE_SQL = ("UPDATE cmdb_ci AS ci SET " + ", ".join(f"{name} = {_value_sql(name)}" for name, _ in _COLUMNS)
               + " FROM " + _recordset(_UPDATE_COLUMNS) + " WHERE ci.id = v.id")
_INSERT_COLUMNS = (("id", "bigint"), *_COLUMNS, ("created_at", "timestamptz"))
_INSERT_SQL = ("INSERT INTO cmdb_ci (" + ", ".join(name for name, _ in _INSERT_COLUMNS) + ") SELECT "
               + ", ".join(_value_sql(name) for name, _ in _INSERT_COLUMNS) + " FROM " + _recordset(_INSERT_COLUMNS))


def insert_cis(cis: list[CI], *, by, source: str) -> None:
    """Insert ``cis`` (their ids set from the table's sequence first) with a ``created`` entry each."""
    if not cis:
        return
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('cmdb_ci', 'id')) FROM generate_series(1, %s)",
                       [len(cis)])
        for ci, (pk,) in zip(cis, cursor.fetchall()):
            ci.pk = pk
            ci.created_at = ci.updated_at = now
        cursor.execute(_INSERT_SQL, [_records(cis, _INSERT_COLUMNS)])
    _history(cis, [None] * len(cis), CIHistory.Kind.CREATED, by=by, source=source, when=now)


def _history(cis, changes, kind: str, *, by, source: str, when) -> None:
    author = _author(by)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cmdb_cihistory (ci_id, kind, author_id, source, data, created_at) "
            "SELECT ci_id, %s, %s, %s, data, %s FROM jsonb_to_recordset(%s::jsonb) AS v(ci_id bigint, data jsonb)",
            [kind, author.pk if author else None, source, when, json.dumps(
                [{"ci_id": ci.pk, "data": {"changes": change} if change is not None else {}}
                 for ci, change in zip(cis, changes)], cls=_Encoder)])


def update_cis(updates: list[tuple[CI, list[dict]]], *, by, source: str) -> None:
    """``updates``: each CI with its new values set and the changes history records (never empty).

    One ``UPDATE ... FROM jsonb_to_recordset(...)`` for the lot: one parameter, not one per value (Django's
    ``bulk_update`` builds a CASE per column and row, and ``bulk_create`` a parameter per value, many
    times slower in Python than the write itself).
    """
    if not updates:
        return
    now = timezone.now()
    cis = [ci for ci, _ in updates]
    for ci in cis:
        ci.version += 1
        ci.updated_at = now
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_SQL, [_records(cis, _UPDATE_COLUMNS)])
    _history(cis, [changes for _, changes in updates], CIHistory.Kind.UPDATED, by=by, source=source, when=now)


def record_sightings(ci_ids, source: str, when, *, stamp_ids=None) -> None:
    """``cmdb.services.record_sighting`` for many CIs: later sightings only move forward.

    ``stamp_ids``: the CIs whose ``last_seen_at`` still needs moving (default all); the caller has set it
    on the CIs it inserted or updated in the same write, so their rows are not rewritten a second time.
    """
    ci_ids = sorted(set(ci_ids))
    stamp_ids = ci_ids if stamp_ids is None else sorted(set(stamp_ids))
    if not ci_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO cmdb_sighting (ci_id, source, first_seen, last_seen)
            SELECT id, %s, %s, %s FROM unnest(%s::bigint[]) AS id
            ON CONFLICT (ci_id, source) DO UPDATE SET last_seen = GREATEST(cmdb_sighting.last_seen, EXCLUDED.last_seen)
            """, [source, when, when, ci_ids])
        if stamp_ids:
            cursor.execute("UPDATE cmdb_ci SET last_seen_at = GREATEST(COALESCE(last_seen_at, %s), %s) "
                           "WHERE id = ANY(%s)", [when, when, stamp_ids])
