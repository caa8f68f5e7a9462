"""Prepare the MSP console on a fresh installation: the public tenant, its domain and an operator.

    python manage.py create_operator ops@msp.example --name "Olivia Ops"     (asks for the password)
    python manage.py create_operator --from-env    (OPERATOR_EMAIL, OPERATOR_NAME, OPERATOR_PASSWORD;
                                                    without OPERATOR_EMAIL it only prepares the public tenant)
Idempotent: an existing operator is left as it is.
"""

import getpass
import os

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name, schema_context

from core.exceptions import TicketError
from tenants import services


class Command(BaseCommand):
    help = "Create the public tenant (MSP console host) and an MSP operator account."

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?")
        parser.add_argument("--name", default="")
        parser.add_argument("--from-env", action="store_true", help="Read OPERATOR_EMAIL/NAME/PASSWORD.")

    def handle(self, *args, email=None, name="", from_env=False, **options):
        services.ensure_public_tenant()
        password = None
        if from_env:
            email = os.environ.get("OPERATOR_EMAIL", "")
            name = os.environ.get("OPERATOR_NAME", "") or "MSP Operator"
            password = os.environ.get("OPERATOR_PASSWORD", "")
            if not email:
                self.stdout.write("Public tenant ready; OPERATOR_EMAIL is not set, so no operator was created.")
                return
        if not email:
            raise CommandError("Give the operator's email address (or --from-env).")
        from accounts.models import User

        with schema_context(get_public_schema_name()):
            if User.objects.filter(email__iexact=email.strip(), role=User.Role.OPERATOR).exists():
                self.stdout.write(f"Operator {email} already exists; nothing changed.")
                return
        if password is None:
            password = getpass.getpass("Password: ")
        try:
            operator = services.create_operator(email=email, full_name=name or email, password=password)
        except TicketError as exc:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip())
        self.stdout.write(self.style.SUCCESS(f"Operator {operator.email} created."))
