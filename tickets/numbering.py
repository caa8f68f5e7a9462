"""Human ticket numbers (INC0001001, CHG..., PRB..., REQ..., RITM..., TASK...).

One PostgreSQL sequence per ticket type. Each tenant schema has its own copy
(the migration runs per schema), so numbers are per tenant, per type, and
unique under concurrency without any locking of ours.
"""

from django.db import connection, migrations

NUMBER_START = 1001
NUMBER_DIGITS = 7


def sequence_name(prefix: str) -> str:
    return f"ticket_number_{prefix.lower()}_seq"


def format_number(prefix: str, value: int) -> str:
    return f"{prefix}{value:0{NUMBER_DIGITS}d}"


def next_number(prefix: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence_name(prefix)])
        return format_number(prefix, cursor.fetchone()[0])


class CreateNumberSequence(migrations.RunSQL):
    """Migration operation creating a type's number sequence in the schema being migrated.

    Every ticket type's initial migration lists it (``CreateNumberSequence("INC")``); with a schema
    per tenant it runs once per tenant, so each tenant numbers its tickets on its own. The system
    check ``tickets.E001`` (tickets/checks.py) refuses to start when a type's table exists in a
    schema without its sequence.
    """

    def __init__(self, prefix: str):
        self.prefix = prefix
        name = sequence_name(prefix)
        super().__init__(f"CREATE SEQUENCE IF NOT EXISTS {name} START {NUMBER_START}",
                         f"DROP SEQUENCE IF EXISTS {name}")

    def deconstruct(self):
        return "tickets.numbering.CreateNumberSequence", [self.prefix], {}

    def describe(self):
        return f"Create the {self.prefix} ticket number sequence"
