"""Forms of the import pages, the staleness report and the identification settings (shape only)."""

from django import forms

from cmdb.identification import MAX_STALE_DAYS
from cmdb.models import CMDBSettings, ImportJob

RULE_SLOTS = len(CMDBSettings.RULES)


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (UTF-8, a header with class and name) or a JSON array of objects.")
    format = forms.ChoiceField(choices=[("", "From the file name"), *ImportJob.Format.choices], required=False)
    source = forms.CharField(max_length=60, help_text="The discovery source the rows come from, e.g. SCCM or "
                                                      "AWS inventory: each CI is stamped as seen by it.")


class StaleForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=MAX_STALE_DAYS, required=False, label="Not seen for (days)")
    sort = forms.ChoiceField(choices=[("last_seen", "Oldest first"), ("-last_seen", "Most recent first")],
                             required=False)


class IdentificationForm(forms.Form):
    """One select per priority slot; a blank slot leaves the rules after it out."""

    stale_after_days = forms.IntegerField(min_value=1, max_value=MAX_STALE_DAYS, label="Stale after (days)",
                                          help_text="A live CI no source has seen for this long is stale; a "
                                                    "critical one gets a task for its support group.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "(not used)"), *CMDBSettings.RULES.items()]
        for slot in range(1, RULE_SLOTS + 1):
            self.fields[f"rule_{slot}"] = forms.ChoiceField(choices=choices, required=slot == 1,
                                                            label=f"Rule {slot}")

    def rule_fields(self):
        return [self[f"rule_{slot}"] for slot in range(1, RULE_SLOTS + 1)]

    def rules(self) -> list[str]:
        return [self.cleaned_data[f"rule_{slot}"] for slot in range(1, RULE_SLOTS + 1)
                if self.cleaned_data.get(f"rule_{slot}")]

    @staticmethod
    def initial_for(row: CMDBSettings) -> dict:
        initial = {"stale_after_days": row.stale_after_days}
        for slot, rule in enumerate(row.identification_rules or CMDBSettings.default_rules(), start=1):
            initial[f"rule_{slot}"] = rule
        return initial
