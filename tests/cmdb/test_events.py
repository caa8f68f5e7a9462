import pytest

from cmdb import events, services
from cmdb.models import CI, CIClass, CIHistory
from core.exceptions import ValidationFailed


@pytest.fixture
def listener():
    calls = []

    def listen(ci, changes, *, by, source, created):
        calls.append((ci.name, [c["field"] for c in changes], source, created))
        if ci.name == "refused":
            raise ValidationFailed("A listener refuses.", fields={"name": ["Refused by a listener."]})

    events.subscribe_ci_changed(listen)
    events.subscribe_ci_changed(listen)  # once only
    yield calls
    events._ci_changed.remove(listen)


@pytest.mark.django_db
def test_listeners_see_each_write_and_can_refuse_it_whole(tenant, agent, listener):
    ci = services.create_ci(by=agent, name="web01", ci_class=CIClass.objects.get(key="server"), source="import")
    services.update_ci(ci, by=agent, status=CI.Status.MAINTENANCE)
    services.update_ci(ci, by=agent, status=CI.Status.MAINTENANCE)  # no change: no event
    assert listener == [("web01", [], "import", True), ("web01", ["status"], "desk", False)]
    with pytest.raises(ValidationFailed):
        services.update_ci(ci, by=agent, name="refused")
    assert CI.objects.get(pk=ci.pk).name == "web01" and CIHistory.objects.filter(ci=ci).count() == 2
