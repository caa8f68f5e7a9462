"""Opt-in experiments: apply a proposed change in the benchmarked processes only, to measure it first.

``bench/run.py --what-if NAME`` applies these in-process and in every gunicorn worker
(this file doubles as the gunicorn config, via its ``post_worker_init`` hook). The
repository's code is untouched; results go to ``bench/results/what-if-<names>.md``.
"""

import os

ENV = "BENCH_WHAT_IF"


def _no_distinct():
    """incidents/filters.py with ``distinct=False`` on the state and priority multiple-choice filters."""
    from incidents.filters import IncidentFilter

    for name in ("state", "priority"):
        IncidentFilter.base_filters[name].distinct = False


def _plain_label_fields():
    """tickets/api/serializers.py without callable ``source``s, which DRF inspects on every row.

    ``priority_label``/``impact_label``/``urgency_label`` (``source="get_*_display"``) and
    ``UserRefSerializer.name`` (``source="__str__"``) become fields reading the whole object
    (``source="*"``), which skips DRF's per-value ``inspect.signature`` call.
    """
    from rest_framework import serializers

    from tickets.api import serializers as ticket_serializers

    class Display(serializers.Field):
        def __init__(self, method, **kwargs):
            self.method = method
            super().__init__(source="*", read_only=True, **kwargs)

        def to_representation(self, instance):
            return getattr(instance, self.method)()

    class Name(serializers.Field):
        def __init__(self, **kwargs):
            super().__init__(source="*", read_only=True, **kwargs)

        def to_representation(self, user):
            return str(user)

    def subclasses(cls):
        yield cls
        for sub in cls.__subclasses__():
            yield from subclasses(sub)

    for cls in subclasses(ticket_serializers.TicketSerializer):
        for name in ("priority", "impact", "urgency"):
            if f"{name}_label" in cls._declared_fields:
                cls._declared_fields[f"{name}_label"] = Display(f"get_{name}_display")
    for cls in subclasses(ticket_serializers.UserRefSerializer):
        cls._declared_fields["name"] = Name()


EXPERIMENTS = {"no-distinct": _no_distinct, "plain-label-fields": _plain_label_fields}


def apply(names) -> None:
    for name in names:
        EXPERIMENTS[name]()


def post_worker_init(worker):  # gunicorn hook
    apply([name for name in os.environ.get(ENV, "").split(",") if name])
