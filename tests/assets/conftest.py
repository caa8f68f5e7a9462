import pytest

from assets import services


@pytest.fixture
def make_asset(agent):
    def factory(**fields):
        fields.setdefault("name", "ThinkPad T14")
        return services.create_asset(by=agent, **fields)

    return factory
