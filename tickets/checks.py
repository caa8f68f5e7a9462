"""System checks of what every registered ticket type needs in the database."""

from __future__ import annotations

from collections import defaultdict

from django.core import checks
from django.db import connections

from tickets import numbering
from tickets.registry import ticket_models


@checks.register(checks.Tags.database)
def check_number_sequences(app_configs=None, databases=None, **kwargs):
    """tickets.E001: a ticket type's table exists in a schema that lacks its number sequence.

    Sequences are per schema (one copy per tenant), so every schema holding the type's table is
    looked at, in one catalogue query whatever the number of tenants. A schema without the table
    has not run the type's migrations yet: that is ``migrate``'s business, not this check's, and it
    keeps a fresh database or a newly added type from blocking the migrations that create them.
    Runs with ``manage.py check --database default`` (``make migrate`` does, before anything starts)
    and before each schema's ``migrate``.
    """
    models = [model for model in ticket_models()
              if app_configs is None or model._meta.app_config in app_configs]
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql" or not models:
            continue
        names = {model._meta.db_table for model in models} | {numbering.sequence_name(m.NUMBER_PREFIX) for m in models}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'S') AND c.relname = ANY(%s)", [sorted(names)])
            present = defaultdict(set)
            for schema, name in cursor.fetchall():
                present[name].add(schema)
        for model in models:
            sequence = numbering.sequence_name(model.NUMBER_PREFIX)
            missing = sorted(present[model._meta.db_table] - present[sequence])
            if missing:
                errors.append(checks.Error(
                    f"{model._meta.label} (numbers {model.NUMBER_PREFIX}...) has no number sequence {sequence} "
                    f"in schema(s) {', '.join(missing)}: creating a ticket there fails.",
                    hint=(f'Add tickets.numbering.CreateNumberSequence("{model.NUMBER_PREFIX}") to the operations of '
                          f"the {model._meta.app_label} migration that creates {model.__name__} (or, once released, "
                          "to a new migration: it creates the sequence only where it is missing) and run "
                          "migrate_schemas --skip-checks. If those schemas already hold tickets, move the sequence "
                          f"past their highest number: SELECT setval('{sequence}', <highest number>)."),
                    obj=model,
                    id="tickets.E001",
                ))
    return errors
