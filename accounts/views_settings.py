"""The tenant admin's settings of people and assignment groups (the priority matrix is in tickets/)."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.access import admin_required
from accounts.forms_settings import GroupForm, PersonForm
from accounts.models import AssignmentGroup, User
from core.exceptions import TicketError
from core.forms import add_service_errors


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
