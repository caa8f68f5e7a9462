"""The tenant serving a host name, kept in the shared cache (core.shared_cache) instead of read per request.

Every request used to start with a Domain-join-Tenant query (django-tenants' lookup). The entry is
the whole Tenant row, every concrete field: the instance rebuilt from it is the one that query
would have made, so the status (suspension), ``config_version`` (tenants.config_cache keys on it),
branding and time zone are as current as the row, and saving it writes no stale column.

All hosts share one generation: any save or delete of a Tenant or Domain row, and every
``config_cache.changed()`` (a queryset update, which sends no signal), drops every host's entry
when it commits. Changes are rare; each drop costs one query per host on its next request. A moved
or removed domain, a suspended tenant, a new config version take effect with the next request.

Unknown hosts are cached too, for ``NEGATIVE_TTL`` seconds only (a new tenant's domain also drops
them at once): a scan of made-up subdomains cannot hold Redis memory for long.
"""

from __future__ import annotations

import hashlib

from django.db.models.signals import post_delete, post_save

from core.shared_cache import RowCache
from tenants.models import Domain, Tenant

TTL = 60
NEGATIVE_TTL = 10
SCOPE = "hosts"

cache = RowCache("tenant-host", ttl=TTL, negative_ttl=NEGATIVE_TTL)
_FIELDS = tuple(field.attname for field in Tenant._meta.concrete_fields)


def _key(hostname: str) -> str:
    # Hosts passed ALLOWED_HOSTS (no spaces or control characters); a very long one is hashed
    # to stay under the cache's key length.
    return hostname if len(hostname) <= 200 else hashlib.sha256(hostname.encode()).hexdigest()


def tenant_for_host(hostname: str) -> Tenant:
    """The tenant of the domain ``hostname``; raises Domain.DoesNotExist as django-tenants' lookup does."""
    cached, generation = cache.fetch(SCOPE, _key(hostname))
    if cached is None:
        raise Domain.DoesNotExist(f"No domain {hostname!r}.")
    if isinstance(cached, tuple) and len(cached) == 2 and cached[0] == _FIELDS:
        # (an entry written by a release with other columns is a miss)
        return Tenant.from_db("default", *cached)
    try:
        tenant = Domain.objects.select_related("tenant").get(domain=hostname).tenant
    except Domain.DoesNotExist:
        cache.store(SCOPE, _key(hostname), generation, None)
        raise
    cache.store(SCOPE, _key(hostname), generation, (_FIELDS, tuple(getattr(tenant, name) for name in _FIELDS)))
    return tenant


def changed() -> None:
    """A tenant or domain row changed: every host resolves from the database again once this commits."""
    cache.changed(SCOPE)


def _on_write(sender, instance=None, created=False, **kwargs):
    if kwargs.get("raw"):
        return  # fixtures loading
    changed()
    if sender is Tenant and (created or kwargs.get("signal") is post_delete):
        # A schema name can be used again by a new tenant: no token entry of the old one may outlive it.
        from accounts import token_cache

        token_cache.changed(instance.schema_name)


def watch() -> None:
    """Connect the signals (tenants.apps: in every process, web, worker or command, that may write)."""
    for model in (Tenant, Domain):
        uid = f"tenants.host_cache:{model._meta.label_lower}"
        post_save.connect(_on_write, sender=model, dispatch_uid=f"{uid}:save", weak=False)
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"{uid}:delete", weak=False)
