"""The desk's "add a link" form: it parses the kind and the number; the services decide."""

from django import forms

from tickets.links.kinds import side_choices


class LinkForm(forms.Form):
    kind = forms.ChoiceField(label="This ticket", choices=())
    number = forms.CharField(label="Ticket number", max_length=20,
                             widget=forms.TextInput(attrs={"placeholder": "e.g. INC0001001", "autocomplete": "off"}))

    def __init__(self, *args, ticket, **kwargs):
        kwargs.setdefault("auto_id", "link-%s")  # the ticket's page has other forms with these field names
        super().__init__(*args, **kwargs)
        # Read when the form is made, so kinds registered by process apps are offered too.
        self.fields["kind"].choices = side_choices(ticket)

    def clean_number(self):
        return self.cleaned_data["number"].strip().upper()
