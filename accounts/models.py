"""People live per schema.

The public schema's user table holds MSP operators; each tenant schema's
holds that client's requesters, agents and admins. Authorisation is always
evaluated inside the tenant against its own table (see README, "Identities").
"""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("role", User.Role.ADMIN)
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        REQUESTER = "requester", "Requester"
        AGENT = "agent", "Agent"
        ADMIN = "admin", "Tenant admin"
        OPERATOR = "operator", "MSP operator"  # public schema only

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REQUESTER)
    time_zone = models.CharField(max_length=64, blank=True, help_text="Empty: the tenant's default zone.")
    phone = models.CharField(max_length=50, blank=True)
    department = models.CharField(max_length=100, blank=True)
    # Who approves what this person orders when an approval stage asks for "the requester's manager".
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    is_vip = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        indexes = [models.Index(fields=["role", "is_active"])]

    def __str__(self):
        return self.label(self.full_name, self.email)

    @staticmethod
    def label(full_name: str, email: str) -> str:
        """How a person is named on every page and in the API (rows read as values use it too)."""
        return full_name or email

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_agent(self) -> bool:
        """Agents and tenant admins work tickets in the agent desk."""
        return self.role in {self.Role.AGENT, self.Role.ADMIN}

    @property
    def is_tenant_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def is_operator(self) -> bool:
        return self.role == self.Role.OPERATOR


class Skill(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class AssignmentGroup(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_groups")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="assignment_groups", blank=True)
    skills = models.ManyToManyField(Skill, related_name="groups", blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """Per-user API token; only a SHA-256 of the key is stored, the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate_key() -> str:
        return secrets.token_urlsafe(32)
