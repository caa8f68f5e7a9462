"""API shapes for software licences and patches. Inputs check shape; ``assets.software`` and
``assets.recording`` decide what is allowed. Money is a decimal string ("1320.00"); ids in input resolve only
in the current tenant; relations are small references in output."""

from __future__ import annotations

from rest_framework import serializers

from assets import licensing
from assets.models import Contract, Entitlement, Installation, Patch, PatchState, SoftwareProduct
from assets.recording import MAX_ROWS
from core.api.strict import StrictInputMixin
from tickets.api.serializers import UserRefSerializer


def money(**kwargs):
    return serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True, **kwargs)


class SoftwareProductRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    vendor = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class SoftwareAssetRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    asset_tag = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class SoftwareCIRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    criticality = serializers.IntegerField(read_only=True, help_text="1 critical ... 4 low.")


class SoftwarePatchRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    patch_id = serializers.CharField(read_only=True)
    severity = serializers.CharField(read_only=True)


# -- products and entitlements --------------------------------------------------------------------

class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = SoftwareProduct
        fields = ("id", "vendor", "name")
        read_only_fields = fields


class ProductInputSerializer(StrictInputMixin, serializers.Serializer):
    vendor = serializers.CharField(max_length=120)
    name = serializers.CharField(max_length=200)


class EntitlementSerializer(serializers.ModelSerializer):
    product = SoftwareProductRefSerializer(read_only=True)
    unit_cost = money()

    class Meta:
        model = Entitlement
        fields = ("id", "product", "metric", "quantity", "unit_cost", "starts_on", "ends_on", "reference", "contract")
        read_only_fields = fields


class EntitlementInputSerializer(StrictInputMixin, serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=SoftwareProduct.objects.all(), help_text="The product's id.")
    metric = serializers.ChoiceField(choices=Entitlement.Metric.choices)
    quantity = serializers.IntegerField(min_value=1)
    unit_cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False,
                                         help_text="Price of one licence (a number; default 0).")
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True, help_text="Required for a subscription.")
    reference = serializers.CharField(max_length=120, required=False, allow_blank=True)
    contract = serializers.PrimaryKeyRelatedField(queryset=Contract.objects.all(), required=False, allow_null=True)


# -- installations and patch states ---------------------------------------------------------------

class InstallationSerializer(serializers.ModelSerializer):
    product = SoftwareProductRefSerializer(read_only=True)
    asset = SoftwareAssetRefSerializer(read_only=True)
    user = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Installation
        fields = ("id", "product", "asset", "version", "cores", "user", "source", "last_seen")
        read_only_fields = fields


class BulkInputSerializer(StrictInputMixin, serializers.Serializer):
    rows = serializers.ListField(child=serializers.JSONField(), max_length=MAX_ROWS, allow_empty=False,
                                 help_text=f"1-{MAX_ROWS} rows, each an object; each is checked on its own.")
    source = serializers.CharField(max_length=60, required=False, default="api",
                                   help_text="The discovery source the rows come from.")


class RejectionSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="1-based position in `rows`.")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class BulkReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rejections = RejectionSerializer(many=True)


class PatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patch
        fields = ("id", "patch_id", "product", "title", "severity", "released_on")
        read_only_fields = fields


class PatchInputSerializer(StrictInputMixin, serializers.Serializer):
    patch_id = serializers.CharField(max_length=60, help_text='The vendor\'s id, e.g. "KB5034441".')
    product = serializers.CharField(max_length=200)
    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=Patch.Severity.choices)
    released_on = serializers.DateField(required=False, allow_null=True, default=None)


class PatchStateSerializer(serializers.ModelSerializer):
    asset = SoftwareAssetRefSerializer(read_only=True)
    patch = SoftwarePatchRefSerializer(read_only=True)

    class Meta:
        model = PatchState
        fields = ("id", "asset", "patch", "state", "installed_on", "source", "reported_at")
        read_only_fields = fields


# -- compliance -----------------------------------------------------------------------------------

class LicenceLineSerializer(serializers.Serializer):
    basis = serializers.ChoiceField(choices=list(licensing.BASES), help_text="What is counted: users (per-user and "
                                    "subscription licences), devices or cores.")
    entitled = serializers.IntegerField()
    consumed = serializers.IntegerField()
    gap = serializers.IntegerField(help_text="entitled - consumed: positive is spare, negative is short.")
    status = serializers.ChoiceField(choices=licensing.STATUS_CHOICES)
    unit_cost = serializers.DecimalField(max_digits=24, decimal_places=4, allow_null=True,
                                         help_text="Quantity-weighted average unit cost; null when unknown.")
    gap_cost = money(allow_null=True, help_text="|gap| x unit cost, to the cent; null when the price is unknown.")
    estimated = serializers.IntegerField(help_text="Cores only: devices counted at 1 core for want of a figure.")


class ProductComplianceSerializer(serializers.Serializer):
    product = SoftwareProductRefSerializer()
    status = serializers.ChoiceField(choices=licensing.STATUS_CHOICES)
    shortfall_cost = money(allow_null=True, help_text="What buying the missing licences costs (null: unknown price).")
    shelfware_cost = money(help_text="What the licences nobody uses cost.")
    lines = LicenceLineSerializer(many=True)


class CountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Patch states reported.")
    installed = serializers.IntegerField()
    missing = serializers.IntegerField()
    missing_critical = serializers.IntegerField()
    missing_important = serializers.IntegerField()
    percent_installed = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    compliant = serializers.BooleanField(help_text="No critical or important patch missing.")


class SoftwareAssetWithCISerializer(SoftwareAssetRefSerializer):
    ci = SoftwareCIRefSerializer(allow_null=True)


class AssetComplianceSerializer(serializers.Serializer):
    asset = SoftwareAssetWithCISerializer()
    counts = CountsSerializer()


class OverallSerializer(serializers.Serializer):
    counts = CountsSerializer()
    assets = serializers.IntegerField(help_text="Assets in use with reported patch states.")
    compliant_assets = serializers.IntegerField()


class PatchComplianceSerializer(serializers.Serializer):
    overall = OverallSerializer()
    assets = AssetComplianceSerializer(many=True, help_text="Worst first.")


class ServiceComplianceSerializer(serializers.Serializer):
    service = SoftwareCIRefSerializer()
    counts = CountsSerializer()
    assets = AssetComplianceSerializer(many=True, help_text="The assets whose CIs the service depends on.")


class UnpatchedServerSerializer(serializers.Serializer):
    asset = SoftwareAssetRefSerializer()
    ci = SoftwareCIRefSerializer()
    rated_critical = serializers.BooleanField(help_text="The server's CI has criticality 1 (critical).")
    missing_critical = SoftwarePatchRefSerializer(many=True)


class ServiceAtRiskSerializer(serializers.Serializer):
    service = SoftwareCIRefSerializer()
    server = UnpatchedServerSerializer(help_text="The nearest server missing a critical patch behind the service.")
    servers = UnpatchedServerSerializer(many=True, help_text="Every unpatched server behind the service, nearest "
                                        "first, with `all_servers=true`; else the nearest alone.")
    path = SoftwareCIRefSerializer(many=True, help_text="From the nearest server to the service, as a failure travels.")
    via = serializers.ListField(child=serializers.CharField(), help_text="The relationship type of each hop.")
    depth = serializers.IntegerField()
