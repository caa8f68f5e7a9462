"""Drop a table's secondary indexes and foreign keys around a bulk load, then rebuild them.

Building a btree once over the loaded rows is several times cheaper than
maintaining it row by row, and re-adding a foreign key validates the whole
table with one anti-join instead of queueing one deferred trigger per row.
Call both in the same transaction: a failed load then leaves the tables as they were.
"""

from __future__ import annotations

from django.db import connection

SECONDARY_INDEXES = """
    SELECT c.relname, pg_get_indexdef(x.indexrelid)
    FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
    WHERE x.indrelid = %s::regclass
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x'))
    ORDER BY c.relname
"""
FOREIGN_KEYS = """
    SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname
"""


def _qualified(name: str) -> str:
    return f"{connection.ops.quote_name(connection.schema_name)}.{connection.ops.quote_name(name)}"


def drop_secondary(*tables: str) -> list:
    """Leave the tables with only their primary key and unique constraints; returns what to rebuild."""
    dropped = []
    with connection.cursor() as cursor:
        # Deferred foreign-key checks already queued on these tables would block ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            qualified = _qualified(table)
            cursor.execute(SECONDARY_INDEXES, [qualified])
            indexes = cursor.fetchall()
            cursor.execute(FOREIGN_KEYS, [qualified])
            foreign_keys = cursor.fetchall()
            for name, _ in foreign_keys:
                cursor.execute(f"ALTER TABLE {qualified} DROP CONSTRAINT {connection.ops.quote_name(name)}")
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {_qualified(name)}")
            dropped.append((qualified, indexes, foreign_keys))
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return dropped


def rebuild(dropped: list) -> None:
    with connection.cursor() as cursor:
        for qualified, indexes, foreign_keys in dropped:
            for _, definition in indexes:
                cursor.execute(definition)
            for name, definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {qualified} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
