"""The priority matrix settings page: the tenant's impact x urgency -> priority table, a ticket concept."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.access import admin_required
from core.exceptions import TicketError
from core.forms import add_service_errors
from tickets import services as ticket_services
from tickets.forms_settings import PriorityMatrixForm
from tickets.models import PriorityMatrixEntry, Urgency


@admin_required
@require_http_methods(["GET", "POST"])
def priority_matrix(request):
    current = {(e.impact, e.urgency): e.priority for e in PriorityMatrixEntry.objects.all()}
    form = PriorityMatrixForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            ticket_services.set_priority_matrix(by=request.user, cells=form.cells())
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Priority matrix saved. New and re-prioritised tickets use it.")
            return redirect("settings:priority_matrix")
    return render(request, "tickets/settings/priority_matrix.html", {
        "form": form, "urgencies": list(Urgency), "tab": "matrix",
    }, status=400 if form.errors else 200)
