"""factory-boy factories for approval chain definitions (rows as an admin's save makes them)."""

import factory

from approvals.models import ApprovalChainDefinition, StageDefinition


class ChainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovalChainDefinition

    name = factory.Sequence(lambda n: f"Approval chain {n}")


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageDefinition

    chain = factory.SubFactory(ChainFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda stage: f"Stage {stage.order}")
    kind = "manager"
