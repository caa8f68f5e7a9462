"""Reads of the catalogue: what a person may order, and the rows pages and the API show."""

from datetime import timedelta

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from service_requests.models import Audience, CatalogCategory, CatalogItem, CatalogVariable, RequestedItem


def may_order(user, item: CatalogItem) -> bool:
    """Whether ``user`` may order ``item`` (its audience), whoever places the order."""
    if item.audience == Audience.EVERYONE:
        return True
    if item.audience == Audience.GROUPS:
        return item.groups.filter(members=user).exists()
    if item.audience == Audience.DEPARTMENTS:
        department = (user.department or "").strip().casefold()
        return bool(department) and department in {d.strip().casefold() for d in item.departments or ()}
    return False


def orderable_by(user):
    """Active items of active categories that ``user`` may order (the same rule as ``may_order``)."""
    department = (getattr(user, "department", "") or "").strip()
    audience = Q(audience=Audience.EVERYONE) | Q(audience=Audience.GROUPS, groups__members=user)
    if department:
        # departments is a JSON list of names; stored as typed, matched as typed or in any case.
        audience |= Q(audience=Audience.DEPARTMENTS, departments__icontains=f'"{department}"')
    ids = CatalogItem.objects.filter(audience).values("pk")
    return (CatalogItem.objects.filter(is_active=True, category__is_active=True, pk__in=ids)
            .select_related("category").order_by("category__order", "category__name", "order", "name"))


def with_form(items):
    """Items with their variables (in form order), for pages and API bodies that show the form."""
    return items.prefetch_related(Prefetch("variables", queryset=CatalogVariable.objects.order_by("order", "pk")))


def categories_for(user):
    """Active categories with at least one item ``user`` may order."""
    return CatalogCategory.objects.filter(is_active=True, pk__in=orderable_by(user).values("category_id"))


def answer_rows(item: RequestedItem) -> list[dict]:
    """A requested item's answers as the desk and portal show them: label -> readable value, in form order.

    People by their names, choices by their labels, files as links to the stored attachment. Answers to
    variables removed from the item since are shown under their name.
    """
    from accounts.models import User
    from tickets.models import Attachment, ticket_type_label

    from service_requests import variables as v

    answers = dict(item.variables or {})
    definitions = list(item.catalog_item.variables.order_by("order", "pk"))
    user_ids = [answers[d.name] for d in definitions if d.type == v.USER and isinstance(answers.get(d.name), int)]
    people = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    files = {}
    if any(d.type == v.ATTACHMENT and d.name in answers for d in definitions):
        files = {a.sha256: a for a in Attachment.objects.filter(ticket_type=ticket_type_label(item), ticket_id=item.pk)}
    rows = []
    for definition in definitions:
        if definition.name not in answers:
            continue
        value = answers.pop(definition.name)
        labels = dict(tuple(choice) for choice in definition.choices or ())
        row = {"name": definition.name, "label": definition.label, "value": value, "attachment": None}
        if definition.type == v.USER:
            row["text"] = people.get(value, f"User {value} (no longer here)")
        elif definition.type == v.CHOICE:
            row["text"] = labels.get(value, value)
        elif definition.type == v.MULTI_CHOICE:
            row["text"] = ", ".join(labels.get(x, x) for x in value) or "—"
        elif definition.type == v.CHECKBOX:
            row["text"] = "Yes" if value else "No"
        elif definition.type == v.ATTACHMENT:
            row["attachment"] = files.get((value or {}).get("sha256"))
            row["text"] = (value or {}).get("filename", "")
        else:
            row["text"] = str(value)
        rows.append(row)
    for name, value in answers.items():
        rows.append({"name": name, "label": name, "value": value, "text": str(value), "attachment": None})
    return rows


def search(user, q: str):
    """What ``user`` may order whose name or descriptions contain ``q`` (the portal's catalogue search)."""
    return orderable_by(user).filter(Q(name__icontains=q) | Q(short_description__icontains=q)
                                     | Q(description__icontains=q))


def popular_for(user, *, limit: int = 6, days: int = 90) -> list[CatalogItem]:
    """The items ordered most in the last ``days`` that ``user`` may order, then the catalogue's own order."""
    since = timezone.now() - timedelta(days=days)
    counts = dict(RequestedItem.objects.filter(opened_at__gte=since).values("catalog_item")
                  .annotate(n=Count("id")).order_by("-n").values_list("catalog_item", "n")[:50])
    items = list(orderable_by(user)[:200])
    return sorted(items, key=lambda item: -counts.get(item.pk, 0))[:limit]


def recently_ordered_by(user, *, limit: int = 3) -> list[CatalogItem]:
    """The items ``user`` ordered (for themselves or someone else) most recently, that they may still order."""
    recent = (RequestedItem.objects.filter(Q(requester=user) | Q(created_by=user)).order_by("-opened_at", "-id")
              .values_list("catalog_item", flat=True)[:20])
    ids = list(dict.fromkeys(recent))[:limit]
    orderable = {item.pk: item for item in orderable_by(user).filter(pk__in=ids)}
    return [orderable[pk] for pk in ids if pk in orderable]
