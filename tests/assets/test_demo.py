import datetime

import pytest
from django.utils import timezone

from assets.models import Asset, Contract
from cmdb import services as cmdb_services
from cmdb.models import CIClass
from demo.assets import populate_assets
from tests.factories import AdminFactory


@pytest.mark.django_db
def test_demo_assets_link_the_estate_and_run_twice(tenant, requester):
    admin = AdminFactory()
    laptop_class, server_class = CIClass.objects.get(key="end_user_device"), CIClass.objects.get(key="linux_server")
    cmdb_services.create_ci(by=admin, name="LT-0001", ci_class=laptop_class, owner_user=requester, serial_number="PF1")
    cmdb_services.create_ci(by=admin, name="LT-0002", ci_class=laptop_class)
    cmdb_services.create_ci(by=admin, name="lnx-web-01", ci_class=server_class)  # the other servers are missing
    populate_assets(tenant)
    populate_assets(tenant)
    today = timezone.localdate()
    assets = {asset.name: asset for asset in Asset.objects.select_related("ci")}
    assert set(assets) == {"LT-0001", "LT-0002", "lnx-web-01"}
    assert all(a.ci.name == a.name and a.ci.status == "live" and a.lifecycle == "deployed" for a in assets.values())
    assert (assets["LT-0001"].assigned_to, assets["LT-0001"].serial_number) == (requester, "PF1")
    assert assets["LT-0001"].warranty_end - today == datetime.timedelta(days=18)
    assert all(365 <= (today - a.purchase_date).days <= 3 * 365 and a.cost and a.order_number
               for a in assets.values())
    support = Contract.objects.get(kind="support")
    assert support.ends_on - today == datetime.timedelta(days=20)
    assert [a.name for a in support.assets.all()] == ["lnx-web-01"]
    assert sorted(Contract.objects.get(kind="lease").assets.values_list("name", flat=True)) == ["LT-0001", "LT-0002"]
