from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, schema_context

from accounts import ratelimit


class Command(BaseCommand):
    help = ("Lift a sign-in lock-out before its window ends: the counter of an account (--email) "
            "and/or of a client address (--ip) in one tenant ('public' for the MSP console).")

    def add_arguments(self, parser):
        parser.add_argument("tenant_slug")
        parser.add_argument("--email")
        parser.add_argument("--ip")

    def handle(self, tenant_slug, email, ip, **options):
        if not email and not ip:
            raise CommandError("Name an account (--email) or an address (--ip) to unlock.")
        tenant = get_tenant_model().objects.filter(slug=tenant_slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {tenant_slug!r}.")
        with schema_context(tenant.schema_name):
            forgotten = ratelimit.unlock(email=email, ip=ip)
        self.stdout.write(f"{forgotten} counter(s) cleared in {tenant_slug}.")
