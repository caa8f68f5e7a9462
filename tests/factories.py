"""factory-boy factories. Tickets are created through the services, as in production."""

import factory

from accounts.models import AssignmentGroup, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    role = User.Role.REQUESTER
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create and results:
            instance.save(update_fields=["password"])  # what set_password changed, as a password change saves


class RequesterFactory(UserFactory):
    role = User.Role.REQUESTER


class AgentFactory(UserFactory):
    email = factory.Sequence(lambda n: f"agent{n}@example.test")
    role = User.Role.AGENT


class AdminFactory(UserFactory):
    email = factory.Sequence(lambda n: f"admin{n}@example.test")
    role = User.Role.ADMIN


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssignmentGroup

    name = factory.Sequence(lambda n: f"Group {n}")


def make_incident(*, by, requester=None, title="Printer is on fire", **fields):
    from incidents.services import create_incident

    return create_incident(by=by, requester=requester or by, title=title, **fields)


def incident_beta_does_not_have(*, by, other_tenant):
    """An incident whose number the other tenant lacks (numbers are per tenant), so its 404 means isolation."""
    from django_tenants.utils import schema_context

    from incidents.models import Incident

    while True:
        incident = make_incident(by=by)
        with schema_context(other_tenant.schema_name):
            if not Incident.objects.filter(number=incident.number).exists():
                return incident


def make_problem(*, by, requester=None, title="Printers drop off the network every morning", **fields):
    from problems import services as problem_services

    return problem_services.create_problem(by=by, requester=requester or by, title=title, **fields)


def problem_to(problem, state, *, by, root_cause="DHCP leases expire overnight"):
    """Walk ``problem`` along its workflow to ``state`` through the services."""
    from problems import services as problem_services

    steps = {"assess": [("assess", {})], "root_cause_analysis": [("analyse", {})],
             "fix_in_progress": [("analyse", {}), ("start_fix", {"root_cause": root_cause})],
             "resolved": [("analyse", {}), ("start_fix", {"root_cause": root_cause}),
                          ("resolve", {"resolution_code": "fixed", "resolution_notes": "Lease time raised."})]}
    for action, fields in steps[state]:
        problem = problem_services.transition_problem(problem, action, by=by, fields=fields)
    return problem


def make_task(*, by, parent=None, requester=None, title="Configure the laptop", **fields):
    """A task added by hand to ``parent`` (default: a new incident raised by ``requester``)."""
    from fulfilment import services as fulfilment_services

    if parent is None:
        parent = make_incident(by=by, requester=requester or by, title=f"Parent of {title}")
    return fulfilment_services.create_task(parent, by=by, title=title, **fields)
