"""The desk's link actions, for every ticket type: add and remove, then back to the ticket's page.

The ticket's page belongs to its type, so a refused link cannot be re-rendered here: the form's
input and errors wait in the session for that page's next render (``panel``), POST-redirect-GET
either way.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.access import agent_required
from core.exceptions import TicketError, ValidationFailed
from core.forms import add_service_errors
from tickets.links.forms import LinkForm
from tickets.links.queries import links_of
from tickets.links.services import LinkNotFound, link_by_number, unlink
from tickets.registry import ticket_for_number


def _session_key(ticket) -> str:
    return f"link-form:{ticket._meta.label_lower}:{ticket.pk}"


def panel(request, ticket) -> dict:
    """What ``tickets/_links.html`` shows: the ticket's links and the add form (with any refusal)."""
    saved = request.session.pop(_session_key(ticket), None)
    form = LinkForm(saved["data"], ticket=ticket) if saved else LinkForm(ticket=ticket)
    if saved:
        form.full_clean()  # the form's own errors come back by binding it again
        if saved["refusal"]:
            add_service_errors(form, ValidationFailed(saved["refusal"]["message"], fields=saved["refusal"]["fields"]))
        for name in form.errors:
            if name in form.fields:  # the error text is the field's description for screen readers
                form.fields[name].widget.attrs["aria-describedby"] = f"{form[name].auto_id}_error"
    return {"link_ticket": ticket, "ticket_links": links_of(ticket), "link_form": form}


def _ticket(number):
    ticket = ticket_for_number(number)
    if ticket is None:
        raise Http404(f"No ticket {number.upper()}.")
    return ticket


def _back(ticket):
    return redirect((ticket.get_desk_url() or "/desk/") + "#links")


@agent_required
@require_POST
def add(request, number):
    ticket = _ticket(number)
    form = LinkForm(request.POST, ticket=ticket)
    refusal = None
    if form.is_valid():
        try:
            made = link_by_number(ticket, form.cleaned_data["kind"], form.cleaned_data["number"], by=request.user)
        except TicketError as exc:
            refusal = {"message": exc.message, "fields": exc.fields}
        else:
            messages.success(request, f"{ticket.number} is now {made.label} {made.other.number}.")
            return _back(ticket)
    request.session[_session_key(ticket)] = {"data": {name: request.POST.get(name, "") for name in form.fields},
                                             "refusal": refusal}
    return _back(ticket)


@agent_required
@require_POST
def remove(request, number, link_id):
    ticket = _ticket(number)
    try:
        unlink(ticket, link_id, by=request.user)
    except LinkNotFound as exc:
        raise Http404(exc.message) from None
    except TicketError as exc:
        messages.error(request, exc.message)
        return _back(ticket)
    messages.success(request, "The link was removed.")
    return _back(ticket)
