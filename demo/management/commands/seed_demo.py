from django.core.management.base import BaseCommand, CommandError

from demo import data as demo_data
from demo.seeding import bulk_seed_incidents
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Create the demo MSP (acme, globex) with demo logins; with --incidents, bulk-load incidents for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Tenant slug to bulk-load (with --incidents).")
        parser.add_argument("--incidents", type=int, default=0, help="Bulk-insert this many incidents (benchmarks).")

    def handle(self, tenant=None, incidents=0, **options):
        demo_data.seed_demo(stdout=self.stdout)
        if incidents:
            target = Tenant.objects.filter(slug=tenant or "acme").first()
            if target is None:
                raise CommandError(f"No tenant {tenant!r}.")
            bulk_seed_incidents(target, incidents, stdout=self.stdout)
