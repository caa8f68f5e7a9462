"""What bench/run.py measures for each registered ticket type, read from the registry and the URLconf.

Nothing here names a type: the API routes are found by walking the tenant URLconf for the DRF
viewset serving the type's model (its ``list``/``create`` and ``retrieve`` routes), the queue is
``desk:queue`` with the type's slug, and the create body is filled from the type's create
serializer. A type registered tomorrow is benchmarked without touching this file, as long as its
create serializer requires nothing beyond ``CREATE_VALUES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Values the create scenario sends, for whichever of these fields a type's create serializer has.
CREATE_VALUES = {
    "title": "Benchmark: VPN drops every hour",
    "description": "Created by `bench/run.py` under load.",
    "impact": 2,
    "urgency": 2,
    "affected_service": "Remote access (VPN)",
}
SAMPLE_SIZE = 500
_NUMBER = "NUMBER0"  # matches a ticket viewset's lookup pattern ([A-Za-z0-9]+) while reversing


@dataclass
class TypeBench:
    """One registered type's four scenarios, with the rows they read chosen from its table."""

    slug: str
    label: str
    plural: str
    model: type
    api_path: str  # "/api/v1/incidents/": list (GET) and create (POST)
    detail_template: str  # "/api/v1/incidents/{number}/"
    queue_path: str  # "/desk/incidents/"
    create_serializer: type
    open_state: str = ""  # the type's most common open state: the list's filter
    group: int | None = None  # the busiest group in that state
    group_count: int = 0
    sample: list = field(default_factory=list)  # (id, number) spread over the table
    total: int = 0

    def list_path(self, size: int = 50) -> str:
        return f"{self.api_path}?state={self.open_state}&assignment_group={self.group}&page_size={size}"

    def detail_paths(self) -> list[str]:
        return [self.detail_template.format(number=number) for _, number in self.sample]

    def create_payload(self) -> dict:
        """A valid minimal body for the type's create endpoint, filed to the list's group."""
        fields = self.create_serializer().fields
        payload = {name: value for name, value in CREATE_VALUES.items() if name in fields}
        if "assignment_group" in fields and self.group is not None:
            payload["assignment_group"] = self.group
        missing = sorted(name for name, f in fields.items() if f.required and not f.read_only and name not in payload)
        if missing:
            raise SystemExit(f"bench: the {self.slug} create serializer requires {', '.join(missing)}; "
                             "add values for them to bench/scenarios.py CREATE_VALUES.")
        return payload


def _patterns(patterns, namespace: str = ""):
    """(namespaced name, pattern) for every URL pattern, included URLconfs walked."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern.url_patterns, inner)
        else:
            yield f"{namespace}{pattern.name}" if pattern.name else None, pattern


def api_routes(model) -> tuple[str, str, type]:
    """The list path, the detail path template and the create serializer of the viewset serving ``model``."""
    from django.urls import get_resolver, reverse

    list_name = detail_name = viewset = None
    for name, pattern in _patterns(get_resolver().url_patterns):
        view = pattern.callback
        cls = getattr(view, "cls", None)
        if name is None or getattr(cls, "model", None) is not model:
            continue
        actions = getattr(view, "actions", None) or {}
        if actions.get("get") == "list" and actions.get("post") == "create":
            list_name, viewset = name, cls
        elif actions.get("get") == "retrieve":
            detail_name = name
    if list_name is None or detail_name is None:
        raise SystemExit(f"bench: no API viewset with list, create and retrieve routes serves {model._meta.label}.")
    detail = reverse(detail_name, kwargs={viewset.lookup_field: _NUMBER}).replace(_NUMBER, "{number}")
    return reverse(list_name), detail, viewset.create_serializer_class


def discover(slugs: list[str] | None = None) -> list[TypeBench]:
    """The registered types (all, or those named in ``slugs``, in that order) and their paths."""
    from django.urls import reverse

    from tickets import types

    registered = {t.slug: t for t in types.all_types()}
    unknown = [slug for slug in slugs or () if slug not in registered]
    if unknown:
        raise SystemExit(f"bench: unknown ticket type {', '.join(unknown)}; registered: {', '.join(registered)}.")
    chosen = [registered[slug] for slug in slugs] if slugs else list(registered.values())
    found = []
    for ticket_type in chosen:
        api_path, detail_template, create_serializer = api_routes(ticket_type.model)
        found.append(TypeBench(slug=ticket_type.slug, label=ticket_type.label,
                               plural=ticket_type.plural, model=ticket_type.model,
                               api_path=api_path, detail_template=detail_template,
                               queue_path=reverse("desk:queue", kwargs={"type_slug": ticket_type.slug}),
                               create_serializer=create_serializer))
    return found


def pick_rows(bench: TypeBench, tenant) -> None:
    """The list's worst case (the busiest group in the most common open state) and a spread for detail."""
    from django.db import connection
    from django.db.models import Count
    from django_tenants.utils import schema_context

    model = bench.model
    table = connection.ops.quote_name(model._meta.db_table)
    with schema_context(tenant.schema_name):
        states = (model.objects.filter(state__in=sorted(model.workflow.open_states)).values("state")
                  .annotate(n=Count("id")).order_by("-n", "state"))
        bench.open_state = states[0]["state"] if states else sorted(model.workflow.open_states)[0]
        busiest = (model.objects.filter(state=bench.open_state).exclude(assignment_group=None)
                   .values("assignment_group").annotate(n=Count("id")).order_by("-n", "assignment_group").first())
        if busiest is not None:
            bench.group, bench.group_count = busiest["assignment_group"], busiest["n"]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, number FROM {table} TABLESAMPLE SYSTEM (1) ORDER BY random() LIMIT %s",
                           [SAMPLE_SIZE])
            bench.sample = cursor.fetchall()
            if len(bench.sample) < 100:  # a small table: 1% of its pages may be none
                cursor.execute(f"SELECT id, number FROM {table} ORDER BY random() LIMIT %s", [SAMPLE_SIZE])
                bench.sample = cursor.fetchall()
        bench.total = model.objects.count()
    if bench.group is None or not bench.sample:
        raise SystemExit(f"bench: tenant {tenant.slug} holds no {model._meta.verbose_name_plural} to measure "
                         f"(open state {bench.open_state!r}); seed them first.")
