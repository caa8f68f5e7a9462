import json

from django import forms
from django.contrib.auth import get_user_model

from approvals.models import GroupMode, StageKind, TimeoutAction
from approvals.services import DECISIONS


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[(d, d) for d in DECISIONS])
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
                              label="Comment (needed to reject or to ask a question)")


class OutOfOfficeForm(forms.Form):
    delegate = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True),
                                      label="Who decides my approvals while I am away")
    starts_on = forms.DateField(label="First day away", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Last day away", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["delegate"].queryset = get_user_model().objects.filter(is_active=True).exclude(pk=user.pk)


class ChainForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_active = forms.BooleanField(required=False, initial=True, label="Active (can be started on tickets)")


class JSONConditionField(forms.CharField):
    """A condition typed as JSON; its meaning is checked by the service (approvals.conditions)."""

    widget = forms.Textarea(attrs={"rows": 2, "spellcheck": "false",
                                   "placeholder": '{"all": [{"fact": "price", "op": "gt", "value": 1000}]}'})

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}.")

    def prepare_value(self, value):
        if isinstance(value, (dict, list)):
            return json.dumps(value) if value else ""
        return value


class StageForm(forms.Form):
    """One stage; a row left without a kind is ignored."""

    order = forms.IntegerField(required=False, min_value=1, max_value=1000)
    name = forms.CharField(required=False, max_length=100)
    kind = forms.ChoiceField(choices=[("", "—"), *StageKind.choices], required=False)
    user = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True), required=False,
                                  empty_label="—")
    group = forms.ModelChoiceField(queryset=None, required=False, empty_label="—")
    group_mode = forms.ChoiceField(choices=GroupMode.choices, required=False)
    quorum = forms.IntegerField(required=False, min_value=1, max_value=1000)
    rule_condition = JSONConditionField(required=False)
    skip_condition = JSONConditionField(required=False)
    reminder_after_hours = forms.IntegerField(required=False, min_value=0, max_value=10000, label="Remind after (business h)")
    timeout_after_hours = forms.IntegerField(required=False, min_value=0, max_value=10000, label="Timeout after (business h)")
    timeout_action = forms.ChoiceField(choices=[("", "—"), *TimeoutAction.choices], required=False)
    escalate_to = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True), required=False,
                                         empty_label="—")
    calendar = forms.ModelChoiceField(queryset=None, required=False, empty_label="24x7 (built in)")

    def __init__(self, *args, **kwargs):
        from accounts.models import AssignmentGroup
        from sla.models import Calendar

        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = AssignmentGroup.objects.filter(is_active=True)
        self.fields["calendar"].queryset = Calendar.objects.filter(is_24x7=False)

    def stage(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("DELETE", None)
        return data


StageFormSet = forms.formset_factory(StageForm, extra=2, can_delete=True, max_num=30, validate_max=True)
