"""Every ticket type's migration creates its number sequence, and start-up refuses a schema without it."""

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tickets import numbering
from tickets.checks import check_number_sequences
from tickets.registry import ticket_models


def sequence_errors():
    return [e for e in checks.run_checks(tags=[checks.Tags.database], databases=["default"]) if e.id == "tickets.E001"]


@pytest.mark.parametrize("model", ticket_models(), ids=lambda m: m._meta.label)
def test_each_types_migrations_create_its_sequence(model):
    loader = MigrationLoader(None, ignore_no_migrations=True)
    prefixes = {operation.prefix
                for (app, _), migration in loader.disk_migrations.items() if app == model._meta.app_label
                for operation in migration.operations if isinstance(operation, numbering.CreateNumberSequence)}
    assert model.NUMBER_PREFIX in prefixes


def test_the_operation_creates_the_sequence_in_the_schema_being_migrated():
    operation = numbering.CreateNumberSequence("PRB")
    assert operation.sql == "CREATE SEQUENCE IF NOT EXISTS ticket_number_prb_seq START 1001"
    assert operation.reverse_sql == "DROP SEQUENCE IF EXISTS ticket_number_prb_seq"
    assert operation.deconstruct() == ("tickets.numbering.CreateNumberSequence", ["PRB"], {})
    assert operation.describe() == "Create the PRB ticket number sequence"


def test_the_check_passes_when_every_tenant_schema_has_its_sequences(tenant):
    assert sequence_errors() == []


def test_a_tenant_schema_without_a_sequence_fails_the_check_with_how_to_fix_it(tenant, other_tenant):
    with connection.cursor() as cursor:  # DDL is transactional: the test's rollback restores it
        cursor.execute(f'DROP SEQUENCE "{other_tenant.schema_name}".ticket_number_inc_seq')
    [error] = sequence_errors()
    assert error.level == checks.ERROR and error.obj._meta.label == "incidents.Incident"
    assert error.msg == ("incidents.Incident (numbers INC...) has no number sequence ticket_number_inc_seq in "
                         f"schema(s) {other_tenant.schema_name}: creating a ticket there fails.")
    assert 'tickets.numbering.CreateNumberSequence("INC")' in error.hint
    assert "the incidents migration that creates Incident" in error.hint
    with pytest.raises(SystemCheckError, match=r"tickets\.E001"):
        call_command("check", "--database", "default")


def test_the_check_needs_a_database_and_ignores_schemas_that_have_not_migrated_the_type(tenant):
    assert check_number_sequences(databases=None) == []  # plain `manage.py check`: no database checks
    with connection.cursor() as cursor:  # a schema being set up: its migrations have not created the table yet
        cursor.execute("CREATE SCHEMA half_migrated")
    assert sequence_errors() == []  # migrate must not be blocked before it has run
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE half_migrated.incidents_incident (id int)")
    [error] = sequence_errors()
    assert "in schema(s) half_migrated:" in error.msg
