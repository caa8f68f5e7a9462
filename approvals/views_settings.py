"""Tenant admins build approval chains without code: /desk/settings/approvals/ (namespace ``approval_settings``)."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render

from accounts.access import admin_required
from approvals import conditions, definitions
from approvals.forms import ChainForm, StageFormSet
from approvals.models import ApprovalChainDefinition, StageDefinition
from core.exceptions import TicketError
from core.forms import add_service_errors


@admin_required
def chains(request):
    rows = ApprovalChainDefinition.objects.annotate(stage_count=Count("stages")).order_by("name")
    return render(request, "approvals/settings/chain_list.html", {"rows": rows, "tab": "approvals"})


def _initial(chain):
    if chain is None:
        return {}, []
    stages = [{field: getattr(stage, field) for field in definitions.STAGE_FIELDS}
              for stage in StageDefinition.objects.filter(chain=chain).order_by("order")]
    return {"name": chain.name, "description": chain.description, "is_active": chain.is_active}, stages


@admin_required
def chain_edit(request, pk=None):
    chain = get_object_or_404(ApprovalChainDefinition, pk=pk) if pk else None
    initial, stage_initial = _initial(chain)
    form = ChainForm(request.POST or None, initial=initial)
    formset = StageFormSet(request.POST or None, prefix="stages", initial=stage_initial)
    valid = [form.is_valid(), formset.is_valid()] if request.method == "POST" else [False]
    if all(valid):
        stage_forms = [f for f in formset.forms
                       if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("kind")]
        try:
            saved = definitions.save_chain(by=request.user, chain=chain, stages=[f.stage() for f in stage_forms],
                                           **form.cleaned_data)
        except TicketError as exc:
            _add_errors(form, stage_forms, exc)
        else:
            messages.success(request, f"Approval chain {saved.name} saved. Approvals already under way keep their stages.")
            return redirect("approval_settings:chains")
    failed = bool(form.errors or any(f.errors for f in formset.forms) or formset.non_form_errors())
    return render(request, "approvals/settings/chain_edit.html", {
        "form": form, "formset": formset, "chain": chain, "tab": "approvals", "ops": conditions.OPS,
    }, status=400 if failed else 200)


def _add_errors(form, stage_forms, exc: TicketError) -> None:
    """``stages.<index>.<field>`` errors onto the row they name; the rest onto the chain form."""
    rest = {}
    for name, errors in exc.fields.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "stages" and parts[1].isdigit() and int(parts[1]) < len(stage_forms):
            row = stage_forms[int(parts[1])]
            for error in errors:
                row.add_error(parts[2] if parts[2] in row.fields else None, error)
        else:
            rest[name] = errors
    add_service_errors(form, TicketError(exc.message, fields=rest))
