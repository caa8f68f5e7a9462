"""Rows that every request reads, kept in the shared cache (Redis) and dropped when they change.

The tenant of a host and the user of an API token are read on every request and change a few
times a year. ``RowCache`` keeps them in the ``shared`` cache alias (settings.CACHES), under
keys that name the database and a *scope* (all hosts share one; tokens have one per schema).

Each scope has a *generation*: a random token stored next to the entries. An entry carries the
generation that was current *before* its rows were read, and counts only while that generation
is still current. A change gives the scope a new generation once it commits (``changed()``), so
every process drops every entry of the scope at once, including one that a request filled from
rows it read just before the change committed: that request read the old generation first, so
its entry is dead on arrival. Entry and generation come back in one round trip (MGET).

- Inside the transaction that made a change, reads of the scope bypass the cache: they must see
  the uncommitted change, which other requests must not (as tenants.config_cache does).
- Entries also expire after ``ttl`` seconds: a safety net for a change made behind the ORM's
  back (raw SQL, another installation's process), never the mechanism.
- Redis down or slow (``OPTIONS`` timeouts) is not an error: the caller reads the database, and
  this process leaves Redis alone for ``RETRY_SECONDS``, so an outage costs one timeout, not one
  per request. A generation it could not renew is renewed when Redis answers again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from django.core.cache import caches
from django.db import connection, transaction

logger = logging.getLogger(__name__)

ALIAS = "shared"
RETRY_SECONDS = 5.0
MISSING = object()

_state = threading.local()  # .blocks: {(cache name, scope): the outermost atomic block that changed it}
_lock = threading.Lock()
_down_until = 0.0
_renew: set[tuple[str, str]] = set()  # (cache name, scope) whose new generation Redis did not take
_instances: dict[str, RowCache] = {}


class RowCache:
    """Entries of one kind (``name``), each valid while its scope's generation stays current."""

    def __init__(self, name: str, *, ttl: int, negative_ttl: int = 0):
        self.name, self.ttl, self.negative_ttl = name, ttl, negative_ttl
        _instances[name] = self

    # Keys carry the database's name: two installations (or a test run and its live servers) may share
    # one Redis, and their rows of the same host or token are not the same rows.
    def _key(self, scope: str, key: str) -> str:
        return f"{self.name}:{connection.settings_dict['NAME']}:{scope}:{key}"

    def _generation_key(self, scope: str) -> str:
        return f"{self.name}:{connection.settings_dict['NAME']}:{scope}:~generation"

    def fetch(self, scope: str, key: str) -> tuple[Any, str | None]:
        """(the current cached value or MISSING, the generation to ``store`` a fresh value under).

        A generation of None means: do not store (the cache is unavailable, or this transaction
        changed the scope). A cached ``None`` is a negative entry (cached for ``negative_ttl``).
        """
        if _is_changing(self.name, scope) or not _available():
            return MISSING, None
        entry_key, generation_key = self._key(scope, key), self._generation_key(scope)
        try:
            found = caches[ALIAS].get_many([entry_key, generation_key])
            generation = found.get(generation_key)
            if generation is None:
                generation = uuid.uuid4().hex
                if not caches[ALIAS].add(generation_key, generation, timeout=None):
                    generation = caches[ALIAS].get(generation_key)
        except Exception:
            _unavailable("read")
            return MISSING, None
        entry = found.get(entry_key)
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == generation:
            return entry[1], generation
        return MISSING, generation

    def store(self, scope: str, key: str, generation: str | None, value: Any) -> None:
        """Keep ``value`` (read after ``generation`` was fetched) for the next requests."""
        if generation is None or (value is None and not self.negative_ttl) or not _available():
            return
        try:
            caches[ALIAS].set(self._key(scope, key), (generation, value),
                              timeout=self.ttl if value is not None else self.negative_ttl)
        except Exception:
            _unavailable("write")

    def changed(self, scope: str) -> None:
        """Rows under ``scope`` were written: drop every process's entries of it once this commits.

        Until then, this transaction reads around the cache (it alone sees the change). Rolled
        back, nothing is dropped: the entries still hold what the database holds.
        """
        if not connection.in_atomic_block:
            self.bump(scope)
            return
        blocks = _state.__dict__.setdefault("blocks", {})
        marker = (self.name, scope)
        if marker in blocks and blocks[marker] is connection.atomic_blocks[0]:
            return  # already registered for this transaction
        blocks[marker] = block = connection.atomic_blocks[0]

        def committed():
            self.bump(scope)
            if blocks.get(marker) is block:
                del blocks[marker]

        transaction.on_commit(committed)

    def bump(self, scope: str) -> None:
        """Give ``scope`` a new generation now: every entry of it, in every process, stops counting."""
        if not _available():
            with _lock:
                _renew.add((self.name, scope))
            return
        try:
            caches[ALIAS].set(self._generation_key(scope), uuid.uuid4().hex, timeout=None)
        except Exception:
            with _lock:
                _renew.add((self.name, scope))
            _unavailable("renew a generation in")


def _is_changing(name: str, scope: str) -> bool:
    blocks = getattr(_state, "blocks", None)
    if not blocks or (name, scope) not in blocks:
        return False
    if connection.in_atomic_block and connection.atomic_blocks and connection.atomic_blocks[0] is blocks[(name, scope)]:
        return True
    del blocks[(name, scope)]  # that transaction has ended (committed, or rolled back)
    return False


def _available() -> bool:
    if _down_until and time.monotonic() < _down_until:
        return False
    if _renew:
        _renew_generations()
    return not _down_until or time.monotonic() >= _down_until


def _renew_generations() -> None:
    global _down_until
    with _lock:
        pending = sorted(_renew)
        _renew.clear()
    for index, (name, scope) in enumerate(pending):
        try:
            caches[ALIAS].set(_instances[name]._generation_key(scope), uuid.uuid4().hex, timeout=None)
        except Exception:
            with _lock:
                _renew.update(pending[index:])
            _unavailable("renew a generation in")
            return
    _down_until = 0.0


def _unavailable(doing: str) -> None:
    global _down_until
    first = not _down_until or time.monotonic() >= _down_until
    _down_until = time.monotonic() + RETRY_SECONDS
    if first:
        logger.warning("shared cache unavailable: could not %s Redis; reading the database for %.0f s",
                       doing, RETRY_SECONDS, exc_info=True)


def reset() -> None:
    """Forget that Redis failed and this thread's open changes (tests)."""
    global _down_until
    _down_until = 0.0
    with _lock:
        _renew.clear()
    _state.__dict__.pop("blocks", None)
