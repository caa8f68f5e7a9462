from rest_framework import serializers

from accounts.models import ApiToken
from core.api.strict import StrictInputMixin


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token of the caller's; the key itself is never shown again after creation."""

    class Meta:
        model = ApiToken
        fields = ("id", "name", "prefix", "created_at", "last_used_at")
        read_only_fields = fields


class ApiTokenCreateSerializer(StrictInputMixin, serializers.Serializer):
    """A new token for the caller."""

    name = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                 help_text="What the token is for, e.g. 'Monitoring integration'.")


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    """The new token, with its key."""

    key = serializers.CharField(read_only=True, help_text="The secret. Shown only in this response: store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = (*ApiTokenSerializer.Meta.fields, "key")
        read_only_fields = fields


class TokenLoginSerializer(StrictInputMixin, serializers.Serializer):
    """Email and password of a user of this tenant, exchanged for a new token."""

    email = serializers.CharField(max_length=254, help_text="The user's email address (case-insensitive).")
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True,
                                     style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                 help_text="What the token is for, e.g. 'Monitoring integration'.")
