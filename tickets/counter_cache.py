"""The counters above a type's queue, kept in the shared cache until that type's tickets change.

The counters are one aggregate over the type's open tickets (``tickets.queries.open_counters``):
with 50,000 open incidents of a million, about 11 ms of PostgreSQL on every full queue page, the
page's largest cost. They depend on the ticket rows alone (and on the agent, for "assigned to
me"), and every ORM write of a ticket row passes ``tickets.write_guard`` (``save()`` and the
queryset's bulk writes), which calls ``changed()``: the type's entries in that schema stop
counting when the write commits (``core.shared_cache``; inside the writing transaction the
counters are read from the database). So a desk whose tickets change between two page loads
reads them afresh, a quiet one from Redis. Writes the ORM does not see (bulk seeding's raw SQL,
a deleted schema) are covered by the TTL.
"""

from __future__ import annotations

from typing import Callable

from django.db import connection

from core.shared_cache import MISSING, RowCache

TTL = 60

cache = RowCache("queue-counters", ttl=TTL)


def scope(schema: str, model) -> str:
    return f"{schema}:{model._meta.label_lower}"


def values(model, user, compute: Callable[[], dict]) -> dict:
    """``compute()``'s counter values for ``user``, from the cache while the type's tickets are unchanged."""
    where, key = scope(connection.schema_name, model), str(user.pk)
    cached, generation = cache.fetch(where, key)
    if cached is not MISSING:
        return cached
    found = compute()
    cache.store(where, key, generation, found)
    return found


def changed(model) -> None:
    """A ``model`` row of the current schema is being written: its counters are recounted once it commits."""
    cache.changed(scope(connection.schema_name, model))
