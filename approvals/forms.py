from django import forms
from django.contrib.auth import get_user_model

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
