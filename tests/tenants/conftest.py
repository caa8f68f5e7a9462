import pytest
from django.db import connection
from django.test import Client

CONSOLE_HOST = "localhost"


def public_user(**fields):
    from accounts.models import User

    connection.set_schema_to_public()
    fields.setdefault("full_name", "Olivia Operator")
    fields.setdefault("role", User.Role.OPERATOR)
    email = fields.pop("email", "olivia@msp.test")
    return User.objects.create_user(email, "correct horse battery staple", **fields)


@pytest.fixture
def operator(db):
    return public_user()


@pytest.fixture
def console(operator):
    """A client on the MSP console's host, signed in as an operator."""
    client = Client(HTTP_HOST=CONSOLE_HOST)
    client.force_login(operator)
    return client


@pytest.fixture
def anonymous_console(db):
    return Client(HTTP_HOST=CONSOLE_HOST)
