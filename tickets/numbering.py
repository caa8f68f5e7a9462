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


def CreateNumberSequence(prefix: str) -> migrations.RunSQL:
    """Migration operation creating a type's number sequence in the current schema."""
    name = sequence_name(prefix)
    return migrations.RunSQL(
        f"CREATE SEQUENCE IF NOT EXISTS {name} START {NUMBER_START}",
        f"DROP SEQUENCE IF EXISTS {name}",
    )
