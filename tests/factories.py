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
            instance.save()


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
