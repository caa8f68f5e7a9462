"""The desk pages that are the task type's own: adding a task to any ticket."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.access import agent_required
from core.exceptions import TicketError
from core.forms import add_service_errors
from fulfilment import services
from fulfilment.forms import AddTaskForm
from tickets.registry import ticket_for_number


@agent_required
def add_task(request, number):
    """The tasks card's "Add task" (and the same form on a page of its own, with its errors)."""
    parent = ticket_for_number(number)
    if parent is None:
        raise Http404(f"No ticket {number.upper()}.")
    form = AddTaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.create_task(parent, by=request.user, **{
                name: value for name, value in form.cleaned_data.items() if value not in (None, "")})
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{task.number} was added to {parent.number}.")
            return redirect(parent.get_desk_url() + "#tasks")
    return render(request, "fulfilment/add_task.html", {"parent": parent, "form": form},
                  status=400 if form.errors else 200)
