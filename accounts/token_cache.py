"""The user of an API token, kept in the shared cache (core.shared_cache) per (schema, key hash).

An entry exists only for a token that authenticated: not revoked, its user active. It holds the
token's id and last use, and the user's row without its password hash and last login (those stay
out of Redis; the rebuilt user loads them from the tenant's own table if anything asks). The
entry names its schema and tenant row, and a request takes it only on that tenant's host: a key of
one tenant is never a user of another, cached or not (tenants.host_cache also drops a schema's
entries when its tenant row is created or deleted).

Each schema has one generation: saving or deleting an existing token (revoke) or an existing user
(deactivation, a new role) drops the schema's entries when it commits. New tokens and new users
need nothing dropped: no entry can be about them, because failed lookups are not cached (a token
works from the moment it is created, and made-up keys cannot fill Redis). Saving only a user's
login stamp or password (``update_fields``) does not drop them either: entries hold neither.
Writes through a queryset ``update()`` send no signal: ``authenticate_token``'s last-use stamp
keeps the entry current itself; any other would have to call ``changed()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models.signals import post_delete, post_save

from accounts.models import ApiToken, User
from core.shared_cache import RowCache

TTL = 300

cache = RowCache("api-token", ttl=TTL)
# Never in Redis: the password hash; last_login changes at every sign-in and is not needed per request.
_UNCACHED = frozenset({"password", "last_login"})
_USER_FIELDS = tuple(f.attname for f in User._meta.concrete_fields if f.attname not in _UNCACHED)


@dataclass
class TokenUse:
    """A token that authenticates, and its user (rebuilt from the entry, or as read)."""

    token_id: int
    last_used_at: datetime | None
    user: User
    _generation: str | None = None

    def _entry(self) -> tuple:
        return (_tenant_identity(), self.token_id, self.last_used_at, _USER_FIELDS,
                tuple(getattr(self.user, name) for name in _USER_FIELDS))


def _tenant_identity() -> tuple:
    """The schema, and the tenant row holding it: a tenant deleted and created again under the same
    name is another tenant, and its requests must not take the entries of the first."""
    return connection.schema_name, getattr(connection.tenant, "pk", None)


def lookup(key_hash: str) -> TokenUse | None:
    """The current schema's live token with this hash, or None."""
    schema = connection.schema_name
    cached, generation = cache.fetch(schema, key_hash)
    if isinstance(cached, tuple) and len(cached) == 5:  # an entry of another shape (another release): a miss
        identity, token_id, last_used_at, fields, values = cached
        if identity == _tenant_identity() and fields == _USER_FIELDS:
            user = User.from_db("default", fields, values)
            if user.is_active:
                return TokenUse(token_id, last_used_at, user, generation)
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    use = TokenUse(token.pk, token.last_used_at, token.user, generation)
    cache.store(schema, key_hash, generation, use._entry())
    return use


def used(key_hash: str, use: TokenUse, when: datetime) -> None:
    """The last-use stamp was written (a queryset update, no signal): keep the entry in step with it."""
    use.last_used_at = when
    cache.store(connection.schema_name, key_hash, use._generation, use._entry())


def changed(schema: str | None = None) -> None:
    """Tokens or users of ``schema`` (the current one by default) changed: its entries go once this commits."""
    cache.changed(schema or connection.schema_name)


def _on_write(sender, created=False, update_fields=None, raw=False, **kwargs):
    if raw or created:
        return  # fixtures loading; or a new row, which no entry can be about
    if sender is User and update_fields is not None and set(update_fields) <= _UNCACHED:
        return  # a sign-in's stamp, a new password: no entry holds either (tokens outlive passwords)
    changed()


def watch() -> None:
    """Connect the signals (accounts.apps: in every process, web, worker or command, that may write)."""
    for model in (ApiToken, User):
        uid = f"accounts.token_cache:{model._meta.label_lower}"
        post_save.connect(_on_write, sender=model, dispatch_uid=f"{uid}:save", weak=False)
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"{uid}:delete", weak=False)
