"""The portal's order form, built from an item's variables. It only turns what the browser sent into the
answers ``service_requests.variables.validate`` checks (in ``submit_request``): the server decides."""

import json
from decimal import Decimal, InvalidOperation

from django import forms

from service_requests import variables as v
from service_requests.services import MAX_QUANTITY

PREFIX = "var_"


def _number(text: str):
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text  # refused by the validator as "Enter a number."
    if not number.is_finite():
        return text
    return int(number) if number == number.to_integral_value() else float(number)


class OrderForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY, initial=1)
    requested_for = forms.EmailField(required=False, label="Order for someone else",
                                     help_text="Their email address; leave empty to order for yourself.")

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        self.definitions = item.definitions()
        for variable in self.definitions:
            self.fields[PREFIX + variable.name] = self._field(variable)

    def _field(self, variable: v.Variable) -> forms.Field:
        # Every field optional here: required-ness depends on the other answers, which the validator knows.
        common = {"label": variable.title, "help_text": variable.help_text, "required": False}
        kind = variable.type
        attrs = {}
        if variable.required:
            attrs["aria-required"] = "true"
        if kind == v.TEXTAREA:
            field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, **attrs}), strip=False, **common)
        elif kind == v.NUMBER:
            field = forms.CharField(widget=forms.NumberInput(attrs={"step": "any", **attrs}), **common)
        elif kind == v.DATE:
            field = forms.CharField(widget=forms.DateInput(attrs={"type": "date", **attrs}), **common)
        elif kind == v.CHOICE:
            field = forms.ChoiceField(choices=[("", "Choose…"), *variable.choices], widget=forms.Select(attrs=attrs),
                                      **common)
            field.valid_value = lambda value: True  # the validator names a wrong value
        elif kind == v.MULTI_CHOICE:
            field = forms.MultipleChoiceField(choices=list(variable.choices), widget=forms.CheckboxSelectMultiple,
                                              **common)
            field.valid_value = lambda value: True
        elif kind == v.CHECKBOX:
            field = forms.BooleanField(widget=forms.CheckboxInput(attrs=attrs), **common)
        elif kind == v.USER:
            field = forms.CharField(widget=forms.TextInput(attrs={"autocomplete": "email", **attrs}),
                                    **{**common, "help_text": variable.help_text or "Their email address."})
        elif kind == v.ATTACHMENT:
            field = forms.FileField(widget=forms.ClearableFileInput(attrs=attrs), **common)
        else:
            field = forms.CharField(widget=forms.TextInput(attrs=attrs), strip=False, **common)
        if variable.default not in (None, "") and kind != v.ATTACHMENT:
            field.initial = variable.default
        field.variable = variable
        # Read by show_when.js to toggle the field's ``hidden`` attribute; the server checks regardless.
        field.show_when = json.dumps([{"variable": PREFIX + c.variable, "op": c.op, "value": c.value}
                                      for c in variable.show_when]) if variable.show_when else ""
        return field

    def answers(self) -> tuple[dict, dict]:
        """(values, files) as the order sends them: an empty input is no answer, an unticked box neither."""
        values, files = {}, {}
        for variable in self.definitions:
            raw = self.cleaned_data.get(PREFIX + variable.name)
            if variable.type == v.ATTACHMENT:
                if raw:
                    files[variable.name] = raw
                continue
            if raw in (None, "", [], False):
                continue
            if variable.type == v.NUMBER:
                raw = _number(raw.strip())
            elif variable.type == v.USER and raw.strip().isdigit():
                raw = int(raw.strip())
            elif variable.type == v.TEXTAREA:
                raw = raw.replace("\r\n", "\n")
            values[variable.name] = raw
        return values, files

    def hidden_names(self) -> set[str]:
        """Fields whose conditions do not hold for the answers as sent (hidden until the script shows them)."""
        values = self.answers()[0] if self.is_bound and hasattr(self, "cleaned_data") else {
            variable.name: variable.default for variable in self.definitions if variable.default not in (None, "")}
        return {PREFIX + variable.name for variable in self.definitions if not v.is_shown(variable, values)}

    def variable_fields(self):
        hidden = self.hidden_names()
        for variable in self.definitions:
            bound = self[PREFIX + variable.name]
            yield bound, bound.field.show_when, bound.name in hidden
