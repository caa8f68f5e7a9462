"""The tenant admin's settings: people, assignment groups and the priority matrix."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.access import agent_required
from accounts.forms_settings import GroupForm, PersonForm, PriorityMatrixForm
from accounts.models import AssignmentGroup, User
from core.exceptions import TicketError
from core.forms import add_service_errors
from tickets import services as ticket_services
from tickets.models import PriorityMatrixEntry, Urgency


def admin_required(view):
    @wraps(view)
    @agent_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_tenant_admin:
            raise PermissionDenied("Settings are for tenant admins.")
        return view(request, *args, **kwargs)

    return wrapper


@admin_required
@require_http_methods(["GET", "POST"])
def people(request):
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.create_person(by=request.user, **form.cleaned_data)
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{person.full_name} was added as {person.get_role_display().lower()}.")
            return redirect("settings:people")
    role = request.GET.get("role", "")
    people_qs = User.objects.annotate(group_count=Count("assignment_groups")).order_by("full_name")
    if role in User.Role.values:
        people_qs = people_qs.filter(role=role)
    return render(request, "settings/people.html", {
        "form": form, "people": people_qs[:500], "role": role, "roles": User.Role.choices[:3], "tab": "people",
    }, status=400 if form.errors else 200)


@admin_required
def groups(request):
    group_list = AssignmentGroup.objects.annotate(member_count=Count("members", distinct=True)).prefetch_related("skills")
    return render(request, "settings/groups.html", {"groups": group_list, "tab": "groups"})


@admin_required
@require_http_methods(["GET", "POST"])
def group_edit(request, pk=None):
    group = get_object_or_404(AssignmentGroup, pk=pk) if pk else None
    initial = {}
    if group is not None:
        initial = {"name": group.name, "description": group.description, "email": group.email,
                   "skills": ", ".join(group.skills.values_list("name", flat=True)), "members": group.members.all()}
    form = GroupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.save_group(by=request.user, group=group, **form.cleaned_data)
        except TicketError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Group {group.name} saved.")
            return redirect("settings:groups")
    return render(request, "settings/group_edit.html", {"form": form, "group": group, "tab": "groups"},
                  status=400 if form.errors else 200)


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
    return render(request, "settings/priority_matrix.html", {
        "form": form, "urgencies": list(Urgency), "tab": "matrix",
    }, status=400 if form.errors else 200)
