"""Pages: the signed link's decision page (no login), the portal's approvals, the desk card's decision, out of office.

Portal pages check "pending approver of this request (or active delegate)", not ticket
visibility: a manager who approves is often no agent and did not raise the ticket.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import agent_required, portal_user_required, tenant_only
from approvals import delegation, links, queries, services, subjects
from approvals.forms import DecisionForm, OutOfOfficeForm
from approvals.models import OutOfOffice
from core.exceptions import TicketError


def _decide(request, approval_request, via):
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise TicketError("Choose approve, reject or ask for information.", fields={
            name: list(errors) for name, errors in form.errors.items()})
    services.decide(approval_request, by=request.user, decision=form.cleaned_data["decision"],
                    comment=form.cleaned_data["comment"], via=via)
    return form.cleaned_data["decision"]


DONE = {"approve": "You approved it.", "reject": "You rejected it.",
        "info": "Your question was sent to the requester."}


@portal_user_required
def portal_list(request):
    waiting = queries.attach_tickets(queries.waiting_for(request.user)[:200])
    return render(request, "approvals/portal/list.html", {"waiting": waiting, "nav": "approvals"})


def _visible_or_404(request, request_id):
    approval_request = queries.visible_request(request.user, request_id)
    if approval_request is None:
        raise Http404("No such approval.")
    return approval_request


@portal_user_required
def portal_detail(request, request_id):
    approval_request = _visible_or_404(request, request_id)
    status, form = 200, DecisionForm()
    if request.method == "POST":
        try:
            decision = _decide(request, approval_request, "portal")
        except TicketError as exc:
            messages.error(request, exc.describe())
            status = exc.status_code
        else:
            messages.success(request, DONE[decision])
            return redirect("approvals:portal_detail", request_id=approval_request.pk)
    return render(request, "approvals/portal/detail.html", _detail_context(request, approval_request, form), status=status)


def _detail_context(request, approval_request, form):
    approval_request = queries.attach_tickets([approval_request])[0]
    ticket = approval_request.stage.approval.ticket
    view = queries.chain(approval_request.stage.approval_id)
    can_decide = (approval_request.is_open and approval_request.stage.state == "pending"
                  and approval_request.stage.approval.state == "pending"
                  and delegation.may_act_for(request.user.pk, approval_request.approver_id))
    return {"req": approval_request, "ticket": ticket, "summary": subjects.summary_for(ticket) if ticket else [],
            "chain": view, "form": form, "can_decide": can_decide, "nav": "approvals"}


@agent_required
@require_POST
def desk_decide(request, request_id):
    approval_request = _visible_or_404(request, request_id)
    ticket = queries.attach_tickets([approval_request])[0].stage.approval.ticket
    try:
        messages.success(request, DONE[_decide(request, approval_request, "desk")])
    except TicketError as exc:
        messages.error(request, exc.describe())
    url = ticket.get_desk_url() if ticket is not None else None
    return redirect(url or "approvals:portal_list")


@tenant_only
def link(request, token):
    """GET shows the decision (mail scanners prefetch links: nothing is decided on GET); POST decides."""
    try:
        opened = links.open_link(token)
    except TicketError as exc:
        return render(request, "approvals/link.html", {"refused": exc.message}, status=exc.status_code)
    approval_request = queries.attach_tickets([opened.request])[0]
    ticket = approval_request.stage.approval.ticket
    context = {"req": approval_request, "ticket": ticket, "person": opened.approver,
               "summary": subjects.summary_for(ticket) if ticket else [], "form": DecisionForm(), "token": token}
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            try:
                links.decide_by_link(token, decision=form.cleaned_data["decision"],
                                     comment=form.cleaned_data["comment"])
            except TicketError as exc:
                context.update(form=form, error=exc.describe())
                return render(request, "approvals/link.html", context, status=exc.status_code)
            return render(request, "approvals/link.html", {"done": DONE[form.cleaned_data["decision"]],
                                                           "ticket": ticket})
        context.update(form=form, error="Choose approve, reject or ask for information.")
        return render(request, "approvals/link.html", context, status=400)
    return render(request, "approvals/link.html", context)


@portal_user_required
def away(request):
    current = OutOfOffice.objects.filter(user=request.user).select_related("delegate").first()
    form = OutOfOfficeForm(user=request.user)
    status = 200
    if request.method == "POST":
        if request.POST.get("clear"):
            delegation.clear_out_of_office(by=request.user)
            messages.success(request, "You are no longer marked as away.")
            return redirect("approvals:away")
        form = OutOfOfficeForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                delegation.set_out_of_office(by=request.user, **form.cleaned_data)
            except TicketError as exc:
                for name, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
                status = 400
            else:
                messages.success(request, "Your out-of-office is saved.")
                return redirect("approvals:away")
        else:
            status = 400
    return render(request, "approvals/portal/away.html", {"form": form, "current": current, "nav": "approvals"},
                  status=status)


