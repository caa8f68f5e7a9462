"""CMDB API shapes. Serializers check the shape of input; ``cmdb.services`` decides what is allowed.

Classes and relationship types are named by their ``key`` (stable across tenants, what imports use);
CIs, people and groups by their id in this tenant.
"""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from accounts.models import AssignmentGroup, User
from cmdb import impact
from cmdb.reach import DIRECTIONS, ReachedCI
from cmdb.models import CI, AttributeDefinition, CIClass, CIHistory, Relationship, RelationshipType
from core.api.strict import StrictInputMixin
from tickets.api.serializers import GroupRefField, UserRefField, UserRefSerializer


class CIRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    ci_class = serializers.CharField(help_text="The class's key, e.g. linux_server.")
    status = serializers.CharField()
    url = serializers.CharField(help_text="The CI in the API.")


class PathStepSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ImpactedServiceSerializer(serializers.Serializer):
    ci = CIRefSerializer()
    depth = serializers.IntegerField(help_text="Hops from the nearest affected CI (0: the service itself is affected).")
    path = PathStepSerializer(many=True, help_text="From the affected CI to the service, both included.")
    via = serializers.ListField(child=serializers.CharField(), help_text="The relationship type key of each hop.")


def ci_ref(ci, request=None) -> dict:
    path = reverse("cmdb-ci-detail", args=[ci.pk])
    return {"id": ci.pk, "name": ci.name, "ci_class": ci.ci_class.key, "status": ci.status,
            "url": request.build_absolute_uri(path) if request is not None else path}


def impacted_ref(reached: ReachedCI, request=None) -> dict:
    return {"ci": ci_ref(reached.ci, request), "depth": reached.depth,
            "path": [{"id": step.id, "name": step.name} for step in reached.path], "via": list(reached.via)}


def reached_ref(reached: ReachedCI, request=None) -> dict:
    return {**impacted_ref(reached, request), "criticality": reached.ci.criticality,
            "is_business_service": reached.is_business_service}


class ClassRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    key = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


# -- classes and their schemas ---------------------------------------------------------------------

class AttributeSchemaSerializer(serializers.Serializer):
    """One attribute a CI of the class carries, and the class that defines it (itself or an ancestor)."""

    name = serializers.CharField(help_text="The key in a CI's `attributes`.")
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=AttributeDefinition.Type.choices)
    required = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.CharField(), help_text="For a choice: the allowed values.")
    reference_class = serializers.CharField(allow_null=True, help_text="For a reference: the key of the class the "
                                                                       "referenced CI must be (or descend from).")
    max_length = serializers.IntegerField(allow_null=True)
    help_text = serializers.CharField()
    defined_by = serializers.CharField(help_text="The key of the class that defines it.")
    inherited = serializers.BooleanField(help_text="Defined by an ancestor of this class.")


class CIClassSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.HyperlinkedIdentityField(view_name="cmdb-class-detail")
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    parent = serializers.CharField(source="parent_key", allow_null=True, help_text="The parent class's key.")
    lineage = serializers.ListField(source="lineage_keys", child=serializers.CharField(),
                                    help_text="Class keys from the root to this class.")
    is_business_service = serializers.BooleanField(
        source="counts_as_business_service",
        help_text="CIs of this class are business services (the class or an ancestor says so).")
    is_builtin = serializers.BooleanField()
    attributes = AttributeSchemaSerializer(many=True, help_text="The whole schema: the ancestors' attributes first.")


# -- relationship types ----------------------------------------------------------------------------

class RelationshipTypeSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="cmdb-relationship-type-detail")
    impact_label = serializers.CharField(source="get_impact_display", read_only=True)
    source_classes = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True,
                                                  help_text="Classes the source may be (and their descendants); "
                                                            "empty: any class.")
    target_classes = serializers.SlugRelatedField(slug_field="key", many=True, read_only=True,
                                                  help_text="Classes the target may be; empty: any class.")

    class Meta:
        model = RelationshipType
        fields = ("id", "url", "key", "name", "reverse_name", "impact", "impact_label", "allows_cycles",
                  "source_classes", "target_classes", "is_builtin")
        read_only_fields = fields


# -- CIs ---------------------------------------------------------------------------------------------

class CISerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="cmdb-ci-detail")
    ci_class = ClassRefSerializer(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    environment_label = serializers.CharField(source="get_environment_display", read_only=True)
    criticality_label = serializers.CharField(source="get_criticality_display", read_only=True)
    owner_user = UserRefField(allow_null=True)
    owner_group = GroupRefField(allow_null=True)
    support_group = GroupRefField(allow_null=True)
    attributes = serializers.DictField(read_only=True, help_text="Validated against the class's schema: decimals "
                                                                 "as strings, dates as YYYY-MM-DD, references as CI ids.")
    ip_addresses = serializers.ListField(child=serializers.IPAddressField(), read_only=True)
    mac_addresses = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = CI
        fields = ("id", "url", "name", "ci_class", "status", "status_label", "environment", "environment_label",
                  "criticality", "criticality_label", "description", "owner_user", "owner_group", "support_group",
                  "attributes", "serial_number", "fqdn", "ip_addresses", "mac_addresses", "cloud_id", "last_seen_at",
                  "created_at", "updated_at", "version")
        read_only_fields = fields


class CIInputSerializer(StrictInputMixin, serializers.Serializer):
    """A CI to create, or (PATCH) the fields to change; ``attributes`` replaces the whole set when given."""

    name = serializers.CharField(max_length=200)
    ci_class = serializers.SlugRelatedField(slug_field="key", queryset=CIClass.objects.all(),
                                            help_text="The class's key, e.g. linux_server.")
    status = serializers.ChoiceField(choices=CI.Status.choices, required=False, help_text="Default live.")
    environment = serializers.ChoiceField(choices=CI.Environment.choices, required=False,
                                          help_text="Default production.")
    criticality = serializers.ChoiceField(choices=CI.Criticality.choices, required=False,
                                          help_text="1 critical .. 4 low (default 3).")
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    owner_user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                                    allow_null=True, help_text="User id.")
    owner_group = serializers.PrimaryKeyRelatedField(queryset=AssignmentGroup.objects.all(), required=False,
                                                     allow_null=True, help_text="Group id.")
    support_group = serializers.PrimaryKeyRelatedField(queryset=AssignmentGroup.objects.all(), required=False,
                                                       allow_null=True, help_text="Group id.")
    attributes = serializers.DictField(required=False, help_text='By the class\'s schema, e.g. {"cpu_cores": 8}; '
                                                                 "errors name `attributes.<name>`.")
    serial_number = serializers.CharField(required=False, allow_blank=True, max_length=120)
    fqdn = serializers.CharField(required=False, allow_blank=True, max_length=255, help_text="Stored lower-case.")
    ip_addresses = serializers.ListField(child=serializers.IPAddressField(), required=False, max_length=100)
    mac_addresses = serializers.ListField(child=serializers.CharField(max_length=17), required=False, max_length=100)
    cloud_id = serializers.CharField(required=False, allow_blank=True, max_length=255)

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        # Unset owners and groups are None, text is "": the model's empty values.
        for name in ("description", "serial_number", "fqdn", "cloud_id"):
            if name in values and values[name] is None:
                values[name] = ""
        return values


class CIHistorySerializer(serializers.ModelSerializer):
    """One entry of a CI's history: created, updated (``data.changes``: field, label, old, new) or a relationship."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    author = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CIHistory
        fields = ("id", "kind", "kind_label", "author", "source", "data", "created_at")
        read_only_fields = fields


# -- relationships -------------------------------------------------------------------------------------

class RelationshipTypeRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    reverse_name = serializers.CharField()


class CIEndSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    ci_class = serializers.CharField(source="ci_class.key", help_text="The class's key.")


class RelationshipSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="cmdb-relationship-detail")
    type = RelationshipTypeRefSerializer(read_only=True)
    source = CIEndSerializer(read_only=True)
    target = CIEndSerializer(read_only=True)
    label = serializers.SerializerMethodField(help_text='How it reads: "ShopFront runs on lnx-app-01".')
    created_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Relationship
        fields = ("id", "url", "type", "source", "target", "label", "discovered_by", "created_by", "created_at")
        read_only_fields = fields

    def get_label(self, relationship) -> str:
        return f"{relationship.source.name} {relationship.type.name.lower()} {relationship.target.name}"


class RelationshipInputSerializer(StrictInputMixin, serializers.Serializer):
    """``{"type": "runs_on", "source": 12, "target": 7}``: the source runs on the target."""

    type = serializers.SlugRelatedField(slug_field="key", queryset=RelationshipType.objects.all(),
                                        help_text="The relationship type's key, read from the source.")
    source = serializers.PrimaryKeyRelatedField(queryset=CI.objects.all(), help_text="CI id.")
    target = serializers.PrimaryKeyRelatedField(queryset=CI.objects.all(), help_text="CI id.")


# -- impact --------------------------------------------------------------------------------------------

class ImpactQuerySerializer(StrictInputMixin, serializers.Serializer):
    json_types = False  # a query string

    direction = serializers.ChoiceField(choices=DIRECTIONS, default="downstream",
                                        help_text="downstream: what a failure of this CI takes down; upstream: "
                                                  "what this CI depends on.")
    depth = serializers.IntegerField(min_value=1, max_value=impact.MAX_DEPTH, default=impact.DEFAULT_DEPTH,
                                     help_text=f"Hops to follow, 1-{impact.MAX_DEPTH} (default {impact.DEFAULT_DEPTH}).")


class ReachedCISerializer(serializers.Serializer):
    ci = CIRefSerializer()
    criticality = serializers.IntegerField(help_text="1 critical .. 4 low.")
    is_business_service = serializers.BooleanField()
    depth = serializers.IntegerField(help_text="Hops from the CI asked about.")
    path = PathStepSerializer(many=True, help_text="The shortest path from the CI asked about, both ends included.")
    via = serializers.ListField(child=serializers.CharField(), help_text="The relationship type key of each hop.")


class ImpactSerializer(serializers.Serializer):
    ci = CIRefSerializer()
    direction = serializers.ChoiceField(choices=DIRECTIONS)
    depth = serializers.IntegerField()
    reached = ReachedCISerializer(many=True, help_text="Every CI reached, nearest first.")
    business_services = ReachedCISerializer(many=True, help_text="The business services among them.")


# -- affected CIs on tickets ------------------------------------------------------------------------------

class AffectedCIInputSerializer(StrictInputMixin, serializers.Serializer):
    ci = serializers.IntegerField(min_value=1, help_text="The id of the CI to name as affected.")


class TicketImpactSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="The ticket's number.")
    affected_cis = CIRefSerializer(many=True)
    impacted_services = ImpactedServiceSerializer(many=True)
