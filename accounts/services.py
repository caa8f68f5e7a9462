from django.db import transaction
from django.utils import timezone

from accounts import token_cache
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
    """The active user for a token key, or None (the token from accounts.token_cache when it has it)."""
    key_hash = hash_token(key)
    use = token_cache.lookup(key_hash)
    if use is None:
        return None
    now = timezone.now()
    # Throttle writes: record use at most once a minute per token.
    if use.last_used_at is None or (now - use.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=use.token_id).update(last_used_at=now)
        token_cache.used(key_hash, use, now)
    return use.user


def set_time_zone(*, user, time_zone: str) -> None:
    """The user's own display zone; empty means the tenant's default."""
    from accounts.time_zones import validate_time_zone

    time_zone = (time_zone or "").strip()
    if time_zone:
        validate_time_zone(time_zone)
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])


def check_new_person(*, email: str, full_name: str, password: str | None, password_required: bool) -> tuple[str, dict]:
    """Validate a new person of the current schema; returns the normalised email and field errors."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from accounts.models import User

    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = ["Someone with this email address already exists."]
    if not (full_name or "").strip():
        errors["full_name"] = ["A name is required."]
    if password or password_required:
        try:
            validate_password(password or "", User(email=email, full_name=full_name))
        except ValidationError as exc:
            errors["password"] = exc.messages
    return email, errors


def create_person(*, by, email: str, full_name: str, role: str, password: str | None = None, time_zone: str = ""):
    """A tenant admin adds a requester, agent or admin to their tenant."""
    from accounts.models import User
    from accounts.time_zones import validate_time_zone
    from core.exceptions import NotPermitted, ValidationFailed

    if not by.is_tenant_admin:
        raise NotPermitted("Only tenant admins can add people.")
    email, errors = check_new_person(email=email, full_name=full_name, password=password, password_required=False)
    if role not in {User.Role.REQUESTER, User.Role.AGENT, User.Role.ADMIN}:
        errors["role"] = ["Choose requester, agent or tenant admin."]
    if time_zone:
        try:
            validate_time_zone(time_zone)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed("The person was not added.", fields=errors)
    return User.objects.create_user(email, password or None, full_name=full_name.strip(), role=role, time_zone=time_zone)


@transaction.atomic
def set_group_members(*, by, group, members) -> None:
    from core.exceptions import NotPermitted, ValidationFailed

    if not by.is_tenant_admin:
        raise NotPermitted("Only tenant admins can change group membership.")
    not_agents = [str(m) for m in members if not m.is_agent]
    if not_agents:
        raise ValidationFailed("Only agents can be group members.", fields={"members": [f"Not an agent: {', '.join(not_agents)}."]})
    group.members.set(members)


@transaction.atomic
def save_group(*, by, group=None, name: str, description: str = "", email: str = "", skills: str = "", members=None):
    """Create or edit an assignment group; skills come as a comma-separated list."""
    from accounts.models import AssignmentGroup, Skill
    from core.exceptions import NotPermitted, ValidationFailed

    if not by.is_tenant_admin:
        raise NotPermitted("Only tenant admins can manage assignment groups.")
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["A name is required."]
    elif AssignmentGroup.objects.filter(name__iexact=name).exclude(pk=getattr(group, "pk", None)).exists():
        errors["name"] = [f"A group called '{name}' already exists."]
    members = list(members or [])
    not_agents = [str(m) for m in members if not m.is_agent]
    if not_agents:
        errors["members"] = [f"Only agents can be group members (not: {', '.join(not_agents)})."]
    if errors:
        raise ValidationFailed("The group was not saved.", fields=errors)
    group = group or AssignmentGroup()
    group.name, group.description, group.email = name, description or "", email or ""
    group.save()
    skill_names = sorted({part.strip() for part in (skills or "").split(",") if part.strip()})
    group.skills.set([Skill.objects.get_or_create(name=skill)[0] for skill in skill_names])
    group.members.set(members)
    return group
