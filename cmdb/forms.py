"""Forms of the CMDB desk: they check shape (text to lists, ids to rows); cmdb.services and
cmdb.services_schema enforce the rules and report them back through core.forms.add_service_errors."""

from __future__ import annotations

import ipaddress
import re

from django import forms

from accounts.models import AssignmentGroup, User
from cmdb import class_tree
from cmdb.models import CI, AttributeDefinition, CIClass, RelationshipType

SPLIT = re.compile(r"[\s,;]+")
BOOLEAN_CHOICES = [("", "Not set"), ("true", "Yes"), ("false", "No")]
CORE_FIELDS = ("name", "ci_class", "status", "environment", "criticality", "description", "owner_user",
               "owner_group", "support_group", "serial_number", "fqdn", "ip_addresses", "mac_addresses", "cloud_id")


def split_list(value: str) -> list[str]:
    return [part for part in SPLIT.split(value or "") if part]


def attribute_field_name(definition) -> str:
    """The form field of an attribute is named as the service names its errors: ``attributes.<name>``."""
    return f"attributes.{definition.name}"


def attribute_field(definition: AttributeDefinition) -> forms.Field:
    """A text-valued input for the attribute; cmdb.attributes validates the value (text_input=True)."""
    options = {"label": definition.label, "required": False, "help_text": definition.help_text}
    kind = definition.type
    if kind == AttributeDefinition.Type.CHOICE:
        return forms.ChoiceField(choices=[("", "Not set")] + [(c, c) for c in definition.choices], **options)
    if kind == AttributeDefinition.Type.BOOLEAN:
        return forms.ChoiceField(choices=BOOLEAN_CHOICES, **options)
    attrs = {}
    if kind == AttributeDefinition.Type.INTEGER:
        attrs = {"inputmode": "numeric"}
    elif kind == AttributeDefinition.Type.DECIMAL:
        attrs = {"inputmode": "decimal"}
    elif kind == AttributeDefinition.Type.DATE:
        attrs = {"type": "date"}
    elif kind == AttributeDefinition.Type.REFERENCE:
        target = definition.reference_class.name if definition.reference_class_id else "any class"
        options["help_text"] = (definition.help_text + " " if definition.help_text else "") + \
            f"The id or exact name of a CI ({target})."
    if definition.required:
        attrs["aria-required"] = "true"
    return forms.CharField(widget=forms.TextInput(attrs=attrs), strip=True, **options)


def attribute_initial(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.full_name or user.email


class CIForm(forms.Form):
    name = forms.CharField(max_length=200)
    ci_class = forms.ModelChoiceField(queryset=CIClass.objects.order_by("name"), label="Class")
    status = forms.ChoiceField(choices=CI.Status.choices, initial=CI.Status.LIVE)
    environment = forms.ChoiceField(choices=CI.Environment.choices, initial=CI.Environment.PRODUCTION)
    criticality = forms.TypedChoiceField(choices=CI.Criticality.choices, coerce=int, initial=CI.Criticality.MEDIUM)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner_user = AgentChoiceField(queryset=User.objects.none(), required=False, label="Owner")
    owner_group = forms.ModelChoiceField(queryset=AssignmentGroup.objects.none(), required=False, label="Owning group")
    support_group = forms.ModelChoiceField(queryset=AssignmentGroup.objects.none(), required=False,
                                           label="Support group")
    serial_number = forms.CharField(max_length=120, required=False)
    fqdn = forms.CharField(max_length=255, required=False, label="Hostname / FQDN")
    ip_addresses = forms.CharField(required=False, label="IP addresses", widget=forms.Textarea(attrs={"rows": 2}),
                                   help_text="Separate addresses by commas or new lines.")
    mac_addresses = forms.CharField(required=False, label="MAC addresses", widget=forms.Textarea(attrs={"rows": 2}),
                                    help_text="Separate addresses by commas or new lines.")
    cloud_id = forms.CharField(max_length=255, required=False, label="Cloud id")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, definitions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_user"].queryset = User.objects.filter(
            is_active=True, role__in=[User.Role.AGENT, User.Role.ADMIN]).order_by("full_name")
        groups = AssignmentGroup.objects.filter(is_active=True).order_by("name")
        self.fields["owner_group"].queryset = groups
        self.fields["support_group"].queryset = groups
        self.fields["ci_class"].choices = [("", "Choose a class…")] + [
            (c.pk, class_tree.indented(c, depth)) for c, depth in class_tree.in_tree_order(CIClass.objects.all())]
        self.definitions = list(definitions)
        for definition in self.definitions:
            self.fields[attribute_field_name(definition)] = attribute_field(definition)

    @property
    def attribute_rows(self):
        """(class name, bound field) in definition order: ancestors' attributes first, under their class."""
        return [(d.ci_class.name, self[attribute_field_name(d)]) for d in self.definitions]

    def clean_ip_addresses(self):
        addresses, bad = [], []
        for part in split_list(self.cleaned_data["ip_addresses"]):
            try:
                addresses.append(ipaddress.ip_address(part).compressed)
            except ValueError:
                bad.append(part)
        if bad:
            raise forms.ValidationError("Not an IP address: %(bad)s.", params={"bad": ", ".join(bad)})
        return list(dict.fromkeys(addresses))

    def clean_mac_addresses(self):
        return split_list(self.cleaned_data["mac_addresses"])

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in CORE_FIELDS}

    def attribute_values(self) -> dict:
        return {d.name: self.cleaned_data.get(attribute_field_name(d), "") for d in self.definitions}


def initial_for(ci: CI) -> dict:
    initial = {name: getattr(ci, name) for name in CORE_FIELDS}
    initial["ip_addresses"] = "\n".join(ci.ip_addresses)
    initial["mac_addresses"] = "\n".join(ci.mac_addresses)
    initial["version"] = ci.version
    for name, value in ci.attributes.items():
        initial[f"attributes.{name}"] = attribute_initial(value)
    return initial


class RelationshipForm(forms.Form):
    OUTGOING, INCOMING = "outgoing", "incoming"

    type = forms.ChoiceField(label="Relationship")
    direction = forms.ChoiceField(widget=forms.RadioSelect, initial=OUTGOING)
    other = forms.CharField(label="Other CI", max_length=250,
                            help_text="Type to search by name, FQDN or serial number; pick a match.",
                            widget=forms.TextInput(attrs={"autocomplete": "off", "list": "ci-options"}))

    def __init__(self, *args, ci: CI, relationship_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.ci = ci
        self.types = {str(t.pk): t for t in relationship_types}
        self.fields["type"].choices = [("", "Choose…")] + [
            (str(t.pk), f"{t.name} / {t.reverse_name}") for t in relationship_types]
        self.fields["direction"].choices = [
            (self.OUTGOING, f"{ci.name} → other CI (read with the first name)"),
            (self.INCOMING, f"Other CI → {ci.name} (read with the second name)"),
        ]

    def clean_type(self):
        return self.types[self.cleaned_data["type"]]

    def clean_other(self):
        other = find_ci(self.cleaned_data["other"])
        if other is None:
            raise forms.ValidationError("No single CI matches; pick one from the suggestions.")
        return other

    def ends(self) -> tuple[CI, CI]:
        other = self.cleaned_data["other"]
        return (self.ci, other) if self.cleaned_data["direction"] == self.OUTGOING else (other, self.ci)


OPTION_ID = re.compile(r"#(\d+)\)?\s*$")


def option_label(ci: CI) -> str:
    """What a lookup suggestion puts in the input; ``find_ci`` reads the id back from its end."""
    return f"{ci.name} ({ci.ci_class.name} #{ci.pk})"


def find_ci(text: str) -> CI | None:
    text = (text or "").strip()
    match = OPTION_ID.search(text)
    if match or text.isdigit():
        return CI.objects.select_related("ci_class").filter(pk=int(match.group(1) if match else text)).first()
    matches = list(CI.objects.select_related("ci_class").filter(name__iexact=text)[:2])
    return matches[0] if len(matches) == 1 else None


# Settings ---------------------------------------------------------------------------------------------------

class CIClassForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_business_service = forms.BooleanField(
        required=False, label="Business service",
        help_text="Impact analysis reports CIs of this class (and its subclasses) to the business.")


class AttributeForm(forms.Form):
    name = forms.CharField(max_length=50, help_text="Key in the CI's attributes, e.g. rack_position. It cannot change later.")
    label = forms.CharField(max_length=100)
    type = forms.ChoiceField(choices=AttributeDefinition.Type.choices)
    required = forms.BooleanField(required=False)
    choices = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="For a choice: one value per line.")
    reference_class = forms.ModelChoiceField(queryset=CIClass.objects.order_by("name"), required=False,
                                             empty_label="Any class",
                                             help_text="For a reference: the class the referenced CI must be of.")
    max_length = forms.IntegerField(required=False, min_value=1, max_value=1000, label="Maximum length",
                                    help_text="For text (at most 1000).")
    help_text = forms.CharField(max_length=200, required=False)
    order = forms.IntegerField(required=False, min_value=0, initial=0)

    def __init__(self, *args, definition=None, builtin=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reference_class"].choices = [("", "Any class")] + [
            (c.pk, class_tree.indented(c, depth)) for c, depth in class_tree.in_tree_order(CIClass.objects.all())]
        if definition is not None:
            self.fields["name"].disabled = True
            self.fields["name"].required = False
        if builtin:
            for name in ("type", "choices", "reference_class", "max_length"):
                self.fields[name].disabled = True

    def clean_choices(self):
        return [line.strip() for line in (self.cleaned_data["choices"] or "").splitlines() if line.strip()]

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in (
            "label", "type", "required", "choices", "reference_class", "max_length", "help_text", "order")}
        fields["order"] = fields["order"] or 0
        return fields


class RelationshipTypeForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="Read from the source, e.g. “depends on”.")
    reverse_name = forms.CharField(max_length=60, help_text="Read from the target, e.g. “used by”.")
    impact = forms.ChoiceField(choices=RelationshipType.Impact.choices)
    allows_cycles = forms.BooleanField(required=False, help_text="Whether a chain of this type may come back to its start.")
    source_classes = forms.ModelMultipleChoiceField(
        queryset=CIClass.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any class. A class allows its subclasses too.")
    target_classes = forms.ModelMultipleChoiceField(
        queryset=CIClass.objects.order_by("name"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any class. A class allows its subclasses too.")
