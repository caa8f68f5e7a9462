"""The catalogue's settings forms: they parse what the admin typed; service_requests.configuration decides."""

from decimal import Decimal, InvalidOperation

from django import forms

from accounts.models import AssignmentGroup
from approvals.models import ApprovalChainDefinition
from service_requests import variables
from service_requests.models import CatalogCategory, CatalogItem, FulfilmentTaskTemplate


class CategoryForm(forms.ModelForm):
    class Meta:
        model = CatalogCategory
        fields = ("name", "description", "icon", "order", "is_active")


class ItemForm(forms.ModelForm):
    departments = forms.CharField(required=False, help_text="With 'requesters of the named departments': "
                                                            "names separated by commas, as on people's profiles.")
    groups = forms.ModelMultipleChoiceField(queryset=AssignmentGroup.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text="With 'members of the named groups'.")

    class Meta:
        model = CatalogItem
        fields = ("category", "name", "icon", "short_description", "description", "audience", "groups",
                  "departments", "price", "cost_centre", "approval_chain", "delivery_target_hours", "is_active",
                  "order")
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = AssignmentGroup.objects.filter(is_active=True)
        self.fields["category"].queryset = CatalogCategory.objects.all()
        self.fields["approval_chain"].queryset = ApprovalChainDefinition.objects.filter(is_active=True)
        self.fields["approval_chain"].empty_label = "No approval: straight to fulfilment"
        if self.instance.pk:
            self.initial["departments"] = ", ".join(self.instance.departments or ())

    def clean_departments(self):
        return [part.strip() for part in self.cleaned_data["departments"].split(",") if part.strip()]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        return {"groups": data.pop("groups"), **data}


def _parse_scalar(text: str, kind: str):
    """What an admin typed for a default or a condition, as the variable's type reads it."""
    text = text.strip()
    if kind == variables.CHECKBOX:
        lowered = text.lower()
        if lowered in ("true", "yes", "1", "on", "ticked"):
            return True
        if lowered in ("false", "no", "0", "off", "unticked"):
            return False
        return text
    if kind == variables.NUMBER:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == variables.USER and text.isdigit():
        return int(text)
    return text


class VariableForm(forms.Form):
    name = forms.CharField(max_length=50, help_text="A stable key for the API and conditions: lower-case letters, "
                                                    "digits and _ (e.g. monitor_size).")
    label = forms.CharField(max_length=200, help_text="The question people see.")
    type = forms.ChoiceField(choices=list(variables.TYPES.items()))
    required = forms.BooleanField(required=False)
    help_text = forms.CharField(max_length=300, required=False)
    default = forms.CharField(required=False, help_text="Pre-filled answer. Checkbox: true or false; multiple "
                                                        "choice: values separated by commas.")
    choices = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                              help_text="Choices only: one per line as value | label (e.g. 24 | 24-inch).")
    regex = forms.CharField(max_length=300, required=False, label="Pattern",
                            help_text="Text only: a regular expression the answer must contain a match of; "
                                      "anchor it with ^ and $ for the whole answer.")
    min_value = forms.CharField(max_length=40, required=False, label="Minimum",
                                help_text="Numbers and dates (YYYY-MM-DD).")
    max_value = forms.CharField(max_length=40, required=False, label="Maximum",
                                help_text="Numbers and dates (YYYY-MM-DD).")
    min_length = forms.IntegerField(min_value=0, required=False, label="Minimum length")
    max_length = forms.IntegerField(min_value=0, required=False, label="Maximum length")
    show_when_variable = forms.ChoiceField(required=False, label="Show only when",
                                           help_text="Another variable of this item; empty: always shown.")
    show_when_op = forms.ChoiceField(choices=[("", "—"), *variables.OPS.items()], required=False, label="Condition")
    show_when_value = forms.CharField(required=False, label="Value",
                                      help_text="'is one of': values separated by commas; 'is filled in': none.")

    # Errors of the definition's attributes shown on these fields (configuration.save_variable).
    ALIASES = {"show_when": "show_when_variable"}

    def __init__(self, *args, item, variable=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        self.others = {v.name: v for v in item.variables.all() if variable is None or v.pk != variable.pk}
        self.fields["show_when_variable"].choices = [("", "— Always shown —")] + [
            (name, f"{v.label} ({name})") for name, v in self.others.items()]
        if variable is not None and not self.is_bound:
            self.initial = self.initial_from(variable)

    @staticmethod
    def initial_from(variable) -> dict:
        condition = (variable.show_when or [{}])[0]
        value = condition.get("value")
        default = variable.default
        return {
            "name": variable.name, "label": variable.label, "type": variable.type, "required": variable.required,
            "help_text": variable.help_text, "regex": variable.regex, "min_value": variable.min_value,
            "max_value": variable.max_value, "min_length": variable.min_length, "max_length": variable.max_length,
            "default": ", ".join(map(str, default)) if isinstance(default, list)
            else ("" if default is None else str(default).lower() if isinstance(default, bool) else str(default)),
            "choices": "\n".join(f"{v} | {label}" for v, label in variable.choices or ()),
            "show_when_variable": condition.get("variable", ""), "show_when_op": condition.get("op", ""),
            "show_when_value": ", ".join(map(str, value)) if isinstance(value, list)
            else ("" if value is None else str(value).lower() if isinstance(value, bool) else str(value)),
        }

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("type", "")
        choices = []
        for number, line in enumerate((cleaned.get("choices") or "").splitlines(), start=1):
            if not line.strip():
                continue
            value, _, label = line.partition("|")
            if not value.strip():
                self.add_error("choices", f"Line {number} has no value.")
            choices.append([value.strip(), label.strip() or value.strip()])
        cleaned["choices"] = choices
        default_text = cleaned.get("default") or ""
        if not default_text.strip():
            cleaned["default"] = None
        elif kind == variables.MULTI_CHOICE:
            cleaned["default"] = [part.strip() for part in default_text.split(",") if part.strip()]
        else:
            cleaned["default"] = _parse_scalar(default_text, kind)
        controller = self.others.get(cleaned.get("show_when_variable") or "")
        op = cleaned.get("show_when_op") or ""
        if controller is None:
            if op:
                self.add_error("show_when_variable", "Choose the variable the condition is about.")
            cleaned["show_when"] = []
        else:
            if not op:
                self.add_error("show_when_op", "Choose the condition.")
            text = cleaned.get("show_when_value") or ""
            if op == variables.IN:
                value = [_parse_scalar(part, controller.type) for part in text.split(",") if part.strip()]
            elif op == variables.IS_SET:
                value = None
            else:
                value = _parse_scalar(text, controller.type)
            cleaned["show_when"] = [{"variable": controller.name, "op": op, "value": value}]
        return cleaned

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in (
            "name", "label", "type", "required", "help_text", "default", "choices", "regex", "min_value",
            "max_value", "min_length", "max_length", "show_when")}
        return data


class TaskTemplateForm(forms.ModelForm):
    class Meta:
        model = FulfilmentTaskTemplate
        fields = ("title", "description", "assignment_group", "step", "due_in_hours")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"step": "Tasks of the same step run in parallel; a step starts when the one before is done."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment_group"].queryset = AssignmentGroup.objects.filter(is_active=True)
