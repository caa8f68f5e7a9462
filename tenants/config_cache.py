"""Per-tenant configuration that hot paths read on every write, cached in each process.

A ticket create reads the tenant's priority matrix and SLA policies (with their targets and
calendars): configuration that changes a few times a year but was read with five queries per
create. Each tenant row carries ``config_version``, a fresh UUID whenever such configuration
changes (``changed()``, called by the signals ``watch()`` connects). The row comes with every
request anyway (the host's tenant, tenants.host_cache: the version's update drops its entries on
commit, tenants.models, so the next request of every process has the new version) and is read by every tenant task, so a
process knows for free whether its copy is current: entries are keyed by (schema, version, name), and a
stale entry is simply never asked for again. A version is never reused (a UUID, not a
counter), so a change that is rolled back cannot leave its data under a version that a
later change will take.

Inside the transaction that made a change, reads of that schema bypass the cache: they must
see the uncommitted change, which no other request may. When it commits, this process's
tenant object takes the new version; other processes see it with their next tenant row.
A connection without a real tenant row (``schema_context``'s stand-in) never caches.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Callable, TypeVar

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")
MAX_ENTRIES = 4096
_entries: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()  # gthread workers share the dict
_changing = threading.local()  # .blocks: {schema: the outermost atomic block that changed it}
_MISSING = object()


def _current_version():
    return getattr(getattr(connection, "tenant", None), "config_version", None)


def _is_changing(schema: str) -> bool:
    blocks = getattr(_changing, "blocks", None)
    if not blocks or schema not in blocks:
        return False
    if connection.in_atomic_block and connection.atomic_blocks and connection.atomic_blocks[0] is blocks[schema]:
        return True
    del blocks[schema]  # that transaction has ended (committed or rolled back)
    return False


def get(name: str, build: Callable[[], T]) -> T:
    """The current tenant's ``name``, built by ``build()`` when this process has no current copy.

    What ``build`` returns is shared by every thread of the process: treat it as read-only.
    """
    schema = connection.schema_name
    version = _current_version()
    if version is None or _is_changing(schema):
        return build()
    key = (schema, version, name)
    with _lock:
        value = _entries.get(key, _MISSING)
        if value is not _MISSING:
            _entries.move_to_end(key)
            return value
    value = build()
    with _lock:
        _entries[key] = value
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def changed() -> None:
    """The current tenant's cached configuration changed: give the tenant a new version."""
    from tenants.models import Tenant

    schema = connection.schema_name
    version = uuid.uuid4()
    if not Tenant.objects.filter(schema_name=schema).update(config_version=version):
        return  # the public schema, or a schema without a tenant row
    tenant = getattr(connection, "tenant", None)

    def adopt():
        if getattr(tenant, "schema_name", None) == schema and hasattr(tenant, "config_version"):
            tenant.config_version = version
        getattr(_changing, "blocks", {}).pop(schema, None)

    if connection.in_atomic_block:
        if not hasattr(_changing, "blocks"):
            _changing.blocks = {}
        _changing.blocks[schema] = connection.atomic_blocks[0]
        transaction.on_commit(adopt)
    else:
        adopt()


def _on_change(sender, **kwargs):
    if kwargs.get("raw"):
        return  # fixtures loading
    if kwargs.get("action", "post_").startswith("post_"):  # m2m_changed sends pre_ and post_ actions
        changed()


def watch(*models) -> None:
    """Give the tenant a new configuration version whenever a row of these models is saved or deleted."""
    for model in models:
        uid = f"tenants.config_cache:{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}:save", weak=False)
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}:delete", weak=False)
        for field in model._meta.many_to_many:
            m2m_changed.connect(_on_change, sender=field.remote_field.through, dispatch_uid=f"{uid}:{field.name}",
                                weak=False)


def clear() -> None:
    """Forget every entry (tests)."""
    with _lock:
        _entries.clear()
