from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, hash_token


@transaction.atomic
def create_api_token(*, user, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its key; the key is never retrievable again."""
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(user=user, name=name or "API token", prefix=key[:8], key_hash=hash_token(key))
    return token, key


def revoke_api_token(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def authenticate_token(key: str):
    """The active user for a token key, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Throttle writes: record use at most once a minute per token.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
