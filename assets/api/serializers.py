"""API shapes for assets and contracts. Ids in input resolve only in the current tenant's schema."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assets import depreciation, lifecycle, queries
from assets.models import Asset, Contract
from cmdb.models import CI, CIClass
from core.api.strict import StrictInputMixin


class AssetPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class AssetCISerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    ci_class = serializers.CharField(source="ci_class.key", help_text="The CI class's key.")
    status = serializers.ChoiceField(choices=CI.Status.choices)


class AssetSerializer(serializers.ModelSerializer):
    assigned_to = AssetPersonSerializer(allow_null=True)
    ci = AssetCISerializer(allow_null=True, help_text="The CI that represents the asset (name, serial number, "
                                                      "owner and status are kept the same on both).")
    value_today = serializers.SerializerMethodField(
        help_text="Straight-line book value today (cost to salvage value over the useful life), null without a cost.")
    warranty_status = serializers.SerializerMethodField(help_text="none, active, ending (within 30 days) or expired.")
    actions = serializers.SerializerMethodField(help_text="The lifecycle actions possible now (POST .../transition/).")

    class Meta:
        model = Asset
        fields = ["id", "asset_tag", "name", "kind", "model", "manufacturer", "serial_number", "lifecycle",
                  "assigned_to", "location", "vendor", "order_number", "cost", "salvage_value", "useful_life_months",
                  "purchase_date", "warranty_end", "warranty_status", "value_today", "ci", "notes", "actions",
                  "created_at", "updated_at", "version"]

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True))
    def get_value_today(self, asset):
        value = depreciation.value_today(asset)
        return None if value is None else str(value)

    @extend_schema_field(serializers.ChoiceField(choices=["none", "active", "ending", "expired"]))
    def get_warranty_status(self, asset):
        return queries.warranty_status(asset.warranty_end)[0]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=lifecycle.ACTION_CHOICES)))
    def get_actions(self, asset):
        return [transition.name for transition in lifecycle.allowed(asset.lifecycle)]


def _people():
    return queries.assignable_users()


class AssetInputSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Asset.Kind.choices, required=False)
    model = serializers.CharField(max_length=120, required=False, allow_blank=True)
    manufacturer = serializers.CharField(max_length=120, required=False, allow_blank=True)
    serial_number = serializers.CharField(max_length=120, required=False, allow_blank=True)
    assigned_to = serializers.PrimaryKeyRelatedField(queryset=_people(), required=False, allow_null=True)
    location = serializers.CharField(max_length=120, required=False, allow_blank=True)
    vendor = serializers.CharField(max_length=120, required=False, allow_blank=True)
    order_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    salvage_value = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    useful_life_months = serializers.IntegerField(min_value=1, max_value=1200, required=False)
    purchase_date = serializers.DateField(required=False, allow_null=True)
    warranty_end = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)


class AssetCreateSerializer(AssetInputSerializer):
    asset_tag = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                      help_text="Empty: the tenant's next AST-000123.")
    lifecycle = serializers.ChoiceField(choices=Asset.Lifecycle.choices, required=False,
                                        help_text="Default ordered (not disposed); a deployed asset needs "
                                                  "assigned_to or location.")


class AssetUpdateSerializer(AssetInputSerializer):
    unknown_field_message = "Unknown or read-only field (the lifecycle changes through .../transition/)."
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text="The version you read: a stale one is refused with 412.")


class TransitionInputSerializer(StrictInputMixin, serializers.Serializer):
    action = serializers.ChoiceField(choices=lifecycle.ACTION_CHOICES)
    assigned_to = serializers.PrimaryKeyRelatedField(queryset=_people(), required=False, allow_null=True,
                                                     help_text="deploy only: who gets it.")
    location = serializers.CharField(max_length=120, required=False, allow_blank=True,
                                     help_text="deploy or return_to_stock: where it goes.")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    version = serializers.IntegerField(required=False, min_value=1)


class LinkCIInputSerializer(StrictInputMixin, serializers.Serializer):
    ci = serializers.PrimaryKeyRelatedField(queryset=CI.objects.all(), required=False,
                                            help_text="An existing CI to link (the asset's shared fields win).")
    ci_class = serializers.SlugRelatedField(slug_field="key", queryset=CIClass.objects.all(), required=False,
                                            help_text="Create the CI in this class instead (default by kind).")
    version = serializers.IntegerField(required=False, min_value=1)

    def validate(self, data):
        if "ci" in data and "ci_class" in data:
            raise serializers.ValidationError({"ci_class": ["Give either ci (link) or ci_class (create), not both."]})
        return data


class ContractAssetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    asset_tag = serializers.CharField()
    name = serializers.CharField()


class ContractSerializer(serializers.ModelSerializer):
    owner = AssetPersonSerializer(allow_null=True)
    assets = ContractAssetSerializer(many=True)

    class Meta:
        model = Contract
        fields = ["id", "kind", "number", "vendor", "starts_on", "ends_on", "cost", "renewal_notice_days", "owner",
                  "assets", "reminded_for", "notes"]


class ContractInputSerializer(StrictInputMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=Contract.Kind.choices)
    number = serializers.CharField(max_length=60)
    vendor = serializers.CharField(max_length=120)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    renewal_notice_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=_people(), required=False, allow_null=True,
                                               help_text="Who is reminded; null: the tenant admins.")
    assets = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=1000,
                                   help_text="Asset ids covered (the whole set); unknown ids are refused.")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
