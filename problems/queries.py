"""Read paths for problems: the known-error list."""

from django.db.models import QuerySet

from problems.models import Problem


def known_errors() -> QuerySet:
    """Published known errors, most recently published first (agents only: the callers check)."""
    return (Problem.objects.filter(known_error_published_at__isnull=False)
            .select_related("category", "assignment_group").order_by("-known_error_published_at", "-id"))


def known_errors_for_category(category_id) -> QuerySet:
    return known_errors().filter(category_id=category_id) if category_id else Problem.objects.none()
