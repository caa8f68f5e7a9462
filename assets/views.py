"""Desk pages for assets and contracts (agents only). Views parse and call the services; reads come from queries."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from accounts.access import agent_required
from assets import ci_sync, contracts, depreciation, lifecycle, queries, services
from assets.filters import AssetFilter, ContractFilter
from assets.forms import AssetForm, ContractForm, CreateCIForm, LinkCIForm, TransitionForm
from assets.models import Asset, Contract
from cmdb.models import CI
from core.exceptions import TicketError
from core.forms import add_service_errors

PAGE_SIZE = 50


def _ci_url(ci_id: int) -> str:
    return reverse("cmdb:detail", args=[ci_id])


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@agent_required
def asset_list(request):
    filterset = AssetFilter(request.GET or None, queryset=queries.assets(), request=request)
    rows = filterset.qs if filterset.is_valid() else queries.assets()
    page = _page(request, rows)
    page.object_list = list(page.object_list)
    for asset in page.object_list:
        asset.value_today = depreciation.value_today(asset)
        asset.warranty = queries.warranty_status(asset.warranty_end)
    context = {"nav": "assets", "assets_tab": "assets", "filter": filterset, "page": page,
               "filter_errors": filterset.errors if filterset.is_bound else {},
               "has_filters": any(value for name, value in request.GET.items() if name != "page")}
    template = "assets/_asset_rows.html" if request.htmx and not request.htmx.history_restore_request \
        else "assets/asset_list.html"
    response = render(request, template, context, status=400 if context["filter_errors"] else 200)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _asset_or_404(pk) -> Asset:
    asset = queries.asset_detail().filter(pk=pk).first()
    if asset is None:
        raise Http404("No such asset.")
    return asset


def _detail_context(asset: Asset, **extra) -> dict:
    return {"nav": "assets", "assets_tab": "assets", "asset": asset,
            "value_today": depreciation.value_today(asset), "warranty": queries.warranty_status(asset.warranty_end),
            "transitions": lifecycle.allowed(asset.lifecycle), "ci_url": _ci_url(asset.ci_id) if asset.ci_id else "",
            "contracts": list(asset.contracts.all()), "history": list(asset.history.all()),
            "transition_form": extra.pop("transition_form", None) or TransitionForm(initial={"version": asset.version}),
            "create_ci_form": extra.pop("create_ci_form", None) or CreateCIForm(
                initial={"ci_class": ci_sync.DEFAULT_CLASS.get(asset.kind)}),
            "link_ci_form": extra.pop("link_ci_form", None) or LinkCIForm(), **extra}


@agent_required
def asset_detail(request, pk):
    return render(request, "assets/asset_detail.html", _detail_context(_asset_or_404(pk)))


@agent_required
def asset_create(request):
    form = AssetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            asset = services.create_asset(by=request.user, **form.service_fields())
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{asset.asset_tag} was created.")
            return redirect("assets:asset", pk=asset.pk)
    return render(request, "assets/asset_form.html", {"nav": "assets", "assets_tab": "assets", "form": form},
                  status=400 if form.errors else 200)


@agent_required
def asset_edit(request, pk):
    asset = _asset_or_404(pk)
    form = AssetForm(request.POST or None, asset=asset)
    if request.method == "POST" and form.is_valid():
        try:
            asset, changes = services.update_asset(asset, by=request.user, version=form.cleaned_data.get("version"),
                                                   **form.service_fields())
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{asset.asset_tag} was saved." if changes else "Nothing changed.")
            return redirect("assets:asset", pk=asset.pk)
    return render(request, "assets/asset_form.html", {"nav": "assets", "assets_tab": "assets", "form": form,
                                                      "asset": asset}, status=400 if form.errors else 200)


@agent_required
@require_POST
def asset_transition(request, pk):
    asset = _asset_or_404(pk)
    form = TransitionForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            asset = services.transition(asset, form.cleaned_data["action"], by=request.user,
                                        **form.service_arguments())
        except TicketError as exc:
            add_service_errors(form, exc)
            status = exc.status_code
        else:
            messages.success(request, f"{asset.asset_tag} is now {asset.get_lifecycle_display().lower()}.")
            return redirect("assets:asset", pk=asset.pk)
    return render(request, "assets/asset_detail.html",
                  _detail_context(_asset_or_404(pk), transition_form=form, open_action=request.POST.get("action")),
                  status=status)


@agent_required
@require_POST
def asset_ci(request, pk):
    """Create the CI from the asset, link an existing one, or unlink (``do`` = create | link | unlink)."""
    asset = _asset_or_404(pk)
    do = request.POST.get("do")
    forms = {"create": CreateCIForm, "link": LinkCIForm}
    form = forms[do](request.POST) if do in forms else None
    try:
        if do == "unlink":
            ci_sync.unlink_ci(asset, by=request.user)
            messages.success(request, f"{asset.asset_tag} is no longer linked to a CI.")
            return redirect("assets:asset", pk=asset.pk)
        if form is None:
            raise Http404("Unknown CI action.")
        if form.is_valid():
            if do == "create":
                asset = ci_sync.create_ci_for(asset, by=request.user, ci_class=form.cleaned_data["ci_class"])
            else:
                ci = CI.objects.filter(pk=form.cleaned_data["ci"]).first()
                if ci is None:
                    form.add_error("ci", "No CI has this id.")
                else:
                    asset = ci_sync.link_ci(asset, ci, by=request.user)
            if not form.errors:
                messages.success(request, f"{asset.asset_tag} is represented by the CI {asset.ci.name}.")
                return redirect("assets:asset", pk=asset.pk)
    except TicketError as exc:
        if form is None:
            messages.error(request, exc.describe())
            return redirect("assets:asset", pk=asset.pk)
        add_service_errors(form, exc)
    return render(request, "assets/asset_detail.html",
                  _detail_context(_asset_or_404(pk), **{f"{do}_ci_form": form}), status=400)


# -- contracts ---------------------------------------------------------------------------------------

@agent_required
def contract_list(request):
    filterset = ContractFilter(request.GET or None, queryset=queries.contracts(), request=request)
    rows = filterset.qs if filterset.is_valid() else queries.contracts()
    page = _page(request, rows)
    page.object_list = list(page.object_list)
    today = timezone.localdate()
    for contract in page.object_list:
        contract.days_left = (contract.ends_on - today).days
    return render(request, "assets/contract_list.html", {
        "nav": "assets", "assets_tab": "contracts", "filter": filterset, "page": page,
        "filter_errors": filterset.errors if filterset.is_bound else {}},
        status=400 if filterset.is_bound and filterset.errors else 200)


def _contract_or_404(pk) -> Contract:
    contract = queries.contract_detail().filter(pk=pk).first()
    if contract is None:
        raise Http404("No such contract.")
    return contract


@agent_required
def contract_detail(request, pk):
    contract = _contract_or_404(pk)
    return render(request, "assets/contract_detail.html", {
        "nav": "assets", "assets_tab": "contracts", "contract": contract,
        "warranty": queries.warranty_status(contract.ends_on), "assets": list(contract.assets.all())})


def _contract_fields(form) -> dict:
    data = dict(form.cleaned_data)
    data["assets"] = list(data.get("assets") or [])
    return data


@agent_required
def contract_create(request):
    initial = {"assets": [request.GET["asset"]]} if request.GET.get("asset", "").isdigit() else None
    form = ContractForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contract = contracts.create_contract(by=request.user, **_contract_fields(form))
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{contract} was created.")
            return redirect("assets:contract", pk=contract.pk)
    return render(request, "assets/contract_form.html", {"nav": "assets", "assets_tab": "contracts", "form": form},
                  status=400 if form.errors else 200)


@agent_required
def contract_edit(request, pk):
    contract = _contract_or_404(pk)
    form = ContractForm(request.POST or None, contract=contract)
    if request.method == "POST" and form.is_valid():
        try:
            contract = contracts.update_contract(contract, by=request.user, **_contract_fields(form))
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{contract} was saved.")
            return redirect("assets:contract", pk=contract.pk)
    return render(request, "assets/contract_form.html", {"nav": "assets", "assets_tab": "contracts", "form": form,
                                                         "contract": contract}, status=400 if form.errors else 200)
