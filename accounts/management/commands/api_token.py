from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, schema_context

from accounts.models import User
from accounts.services import create_api_token


class Command(BaseCommand):
    """Works under production settings (DEBUG off): it is how an integrator gets a first token.

    The tenant model comes from settings (django-tenants): accounts sits below tenants and imports none of it.
    """

    help = "Create an API token for a user of a tenant and print its key (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("tenant_slug")
        parser.add_argument("email")
        parser.add_argument("--name", default="CLI token")

    def handle(self, tenant_slug, email, name, **options):
        tenant = get_tenant_model().objects.filter(slug=tenant_slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {tenant_slug!r}.")
        if tenant.is_public:
            raise CommandError("API tokens work only on a client tenant's host, not on the MSP console.")
        with schema_context(tenant.schema_name):
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                raise CommandError(f"No user {email!r} in tenant {tenant_slug!r}.")
            if not user.is_active:
                raise CommandError(f"User {email!r} is deactivated.")
            _, key = create_api_token(user=user, name=name)
        self.stdout.write(key)
