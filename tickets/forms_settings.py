"""The priority matrix settings form: shape only, tickets.services.set_priority_matrix decides."""

from django import forms

from tickets.models import Impact, Priority, Urgency


class PriorityMatrixForm(forms.Form):
    """One select per impact x urgency cell, named cell_<impact>_<urgency>."""

    def __init__(self, *args, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for impact in Impact:
            for urgency in Urgency:
                self.fields[f"cell_{impact.value}_{urgency.value}"] = forms.TypedChoiceField(
                    choices=Priority.choices, coerce=int, initial=current.get((impact.value, urgency.value)),
                    label=f"Impact {impact.label}, urgency {urgency.label}",
                )

    def rows(self):
        return [
            (impact, [self[f"cell_{impact.value}_{urgency.value}"] for urgency in Urgency])
            for impact in Impact
        ]

    def cells(self) -> dict:
        return {(i.value, u.value): self.cleaned_data[f"cell_{i.value}_{u.value}"] for i in Impact for u in Urgency}
