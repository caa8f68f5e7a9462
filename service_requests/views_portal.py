"""The catalogue in the portal: browse and search what one may order, order it with its form."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.access import portal_user_required
from accounts.models import User
from core.exceptions import TicketError
from service_requests import queries, services
from service_requests.forms_portal import PREFIX, OrderForm


@portal_user_required
def catalogue(request):
    items = queries.orderable_by(request.user)
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        items = queries.search(request.user, q)
    by_category: dict = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    return render(request, "service_requests/portal/catalogue.html",
                  {"by_category": list(by_category.items()), "q": q, "nav": "catalogue"})


def _field_name(name: str) -> str:
    """A refusal's field (``items.0.variables.size``) as the order form names it."""
    name = name.removeprefix("items.0.")
    if name.startswith("variables."):
        return PREFIX + name.removeprefix("variables.")
    return name if name in ("quantity", "requested_for") else ""


@portal_user_required
def order(request, pk):
    item = queries.with_form(queries.orderable_by(request.user)).filter(pk=pk).first()
    if item is None:
        raise Http404("No such catalogue item, or not one you may order.")
    form = OrderForm(request.POST or None, request.FILES or None, item=item)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            requested_for = request.user
            email = form.cleaned_data.get("requested_for")
            if email:
                requested_for = User.objects.filter(email__iexact=email, is_active=True).exclude(
                    role=User.Role.OPERATOR).first()
                if requested_for is None:
                    form.add_error("requested_for", "No active person of this organisation has this email address.")
            if requested_for is not None:
                values, files = form.answers()
                try:
                    made = services.submit_request(by=request.user, requested_for=requested_for, channel="portal",
                                                   items=[services.OrderLine(catalog_item=item,
                                                                             quantity=form.cleaned_data["quantity"],
                                                                             variables=values, files=files)])
                except TicketError as exc:
                    form.add_error(None, exc.message)
                    for name, errors in exc.fields.items():
                        target = _field_name(name)
                        for error in errors:
                            form.add_error(target or None, error)
                else:
                    messages.success(request, f"Ordered: {item.name} ({made.number}).")
                    return redirect("portal:detail", number=made.number)
    return render(request, "service_requests/portal/order.html", {"item": item, "form": form, "nav": "catalogue"},
                  status=status)
