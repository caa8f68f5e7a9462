"""Form-side mapping of service refusals, shared by every server-rendered form that calls a service."""

from django import forms

from core.exceptions import TicketError


def add_service_errors(form: forms.Form, exc: TicketError, aliases: dict | None = None) -> None:
    """Show a service refusal on the form: field errors where the field exists, the message on top otherwise."""
    aliases = aliases or {}
    form.add_error(None, exc.message)
    for name, messages in (exc.fields or {}).items():
        target = aliases.get(name, name)
        for message in messages:
            if target in form.fields:
                form.add_error(target, message)
            else:
                form.add_error(None, f"{name.replace('_', ' ').capitalize()}: {message}")
