from django.core.management.base import BaseCommand, CommandError

from demo import data as demo_data
from demo.seeding import bulk_seed_incidents, bulk_seed_problems
from tenants.models import Tenant


class Command(BaseCommand):
    help = ("Create the demo MSP (acme, globex) with demo logins; with --incidents / --problems, bulk-load "
            "tickets for benchmarks.")

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Tenant slug to bulk-load (with --incidents / --problems).")
        parser.add_argument("--incidents", type=int, default=0,
                            help="Top the tenant up to this many incidents (benchmarks).")
        parser.add_argument("--problems", type=int, default=0,
                            help="Top the tenant up to this many problems (benchmarks).")

    def handle(self, tenant=None, incidents=0, problems=0, **options):
        demo_data.seed_demo(stdout=self.stdout)
        if incidents or problems:
            target = Tenant.objects.filter(slug=tenant or "acme").first()
            if target is None:
                raise CommandError(f"No tenant {tenant!r}.")
            if incidents:
                bulk_seed_incidents(target, incidents, stdout=self.stdout)
            if problems:
                bulk_seed_problems(target, problems, stdout=self.stdout)
