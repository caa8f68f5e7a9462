"""Desk pages for keeping the CMDB current: imports (upload, progress, report, history), the staleness
report, and the identification settings (tenant admins). Agents only; requesters get 403."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import admin_required, agent_required
from cmdb import identification, import_files, imports, queries
from cmdb.forms_imports import IdentificationForm, ImportForm, StaleForm
from cmdb.models import CMDBSettings, ImportJob
from core.exceptions import TicketError
from core.forms import add_service_errors

PER_PAGE = 50


@agent_required
def import_list(request):
    page = Paginator(queries.import_jobs(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cmdb/imports/list.html", {"nav": "cmdb", "page": page, "jobs": page.object_list})


@agent_required
def import_upload(request):
    form = ImportForm()
    status = 200
    if request.method == "POST":
        try:
            # Checked from the declared body size before the body is parsed: a huge upload is never read.
            import_files.check_size(int(request.META.get("CONTENT_LENGTH") or 0), slack=import_files.FORM_SLACK)
        except TicketError as exc:
            form = ImportForm(data={"source": "-"}, files={})
            form.is_valid()
            form.errors.clear()
            form.add_error("file", exc.fields["file"][0])
            return render(request, "cmdb/imports/upload.html", {"nav": "cmdb", "form": form}, status=400)
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = imports.start_import(by=request.user, source=form.cleaned_data["source"],
                                           format=form.cleaned_data["format"], filename=upload.name, fileobj=upload)
            except TicketError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("cmdb:import_detail", pk=job.pk)
        status = 400
    return render(request, "cmdb/imports/upload.html", {"nav": "cmdb", "form": form}, status=status)


def _progress(job: ImportJob) -> dict:
    done = job.total_rows if job.status == ImportJob.Status.DONE else min(job.processed_rows, job.total_rows)
    return {"value": done, "max": job.total_rows or 1, "text": f"{done:,} of {job.total_rows:,} rows"}


def _as_in_the_file(job: ImportJob, rejection) -> dict:
    """A rejection as the uploader knows the file: a CSV's line number (the header is line 1) and its column
    names (``attr.<name>``, where errors say ``attributes.<name>``); empty cells left out."""
    csv = job.format == ImportJob.Format.CSV

    def column(field: str) -> str:
        return "attr." + field.removeprefix("attributes.") if csv and field.startswith("attributes.") else field

    return {"where": f"Line {rejection.row_number + 1}" if csv else f"Item {rejection.row_number}",
            "errors": [(column(field), reason) for field, reasons in rejection.errors.items() for reason in reasons],
            "data": [(key, value) for key, value in rejection.data.items() if value not in ("", None, [], {})]}


@agent_required
def import_detail(request, pk):
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    rejections = Paginator(job.rejections.order_by("row_number"), PER_PAGE).get_page(request.GET.get("page"))
    context = {"nav": "cmdb", "job": job, "progress": _progress(job), "rejections": rejections,
               "rejection_rows": [_as_in_the_file(job, rejection) for rejection in rejections],
               "polling": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)}
    template = "cmdb/imports/_job.html" if request.htmx else "cmdb/imports/detail.html"
    return render(request, template, context)


@require_POST
@agent_required
def import_run_again(request, pk):
    job = get_object_or_404(ImportJob, pk=pk)
    try:
        imports.run_again(job, by=request.user)
    except TicketError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{job.filename} is queued again.")
    return redirect("cmdb:import_detail", pk=job.pk)


@agent_required
def stale_report(request):
    days_default = queries.settings().stale_after_days
    form = StaleForm(request.GET or None, initial={"days": days_default, "sort": "last_seen"})
    days, order = days_default, "last_seen"
    if form.is_bound and form.is_valid():
        days = form.cleaned_data["days"] or days_default
        order = form.cleaned_data["sort"] or "last_seen"
    page = Paginator(queries.stale_cis(days, order=order), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cmdb/stale.html", {"nav": "cmdb", "form": form, "page": page, "cis": page.object_list, "days": days,
                                               "order": order, "days_default": days_default},
                  status=400 if form.is_bound and not form.is_valid() else 200)


@admin_required
def identification_settings(request):
    row = queries.settings()
    form = IdentificationForm(request.POST or None, initial=IdentificationForm.initial_for(row))
    if request.method == "POST" and form.is_valid():
        try:
            identification.save_settings(by=request.user, identification_rules=form.rules(),
                                         stale_after_days=form.cleaned_data["stale_after_days"])
        except TicketError as exc:
            add_service_errors(form, exc, aliases={"identification_rules": "rule_1"})
        else:
            messages.success(request, "CMDB identification settings saved; the next import uses them.")
            return redirect("cmdb_settings:identification")
    return render(request, "cmdb/settings_identification.html", {
        "form": form, "rules": CMDBSettings.RULES, "tab": "cmdb_identification",
    }, status=400 if form.errors else 200)
