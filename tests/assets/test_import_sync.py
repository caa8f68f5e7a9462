"""An import that changes a CI which represents an asset keeps the asset in step, or rejects that row."""

import pytest

from assets import ci_sync
from assets import services as asset_services
from assets.models import Asset
from cmdb.models import CIClass
from tests.cmdb.importing import run_csv

pytestmark = pytest.mark.django_db


def test_import_renames_the_asset_of_a_ci_and_a_refused_status_rejects_only_that_row(
        agent, django_capture_on_commit_callbacks):
    asset = asset_services.create_asset(by=agent, name="lt-old", serial_number="SN-1")
    asset = ci_sync.create_ci_for(asset, by=agent, ci_class=CIClass.objects.get(key="end_user_device"))
    ordered = asset_services.create_asset(by=agent, name="lt-ordered", serial_number="SN-2")
    ci_sync.create_ci_for(ordered, by=agent, ci_class=CIClass.objects.get(key="end_user_device"))

    job = run_csv(agent, "class,name,serial_number,status\n"
                         "end_user_device,lt-new,SN-1,\n"  # renames the asset through its CI
                         "end_user_device,lt-ordered,SN-2,live\n"  # an ordered asset cannot go live
                         "end_user_device,lt-other,SN-3,live\n", capture=django_capture_on_commit_callbacks)

    assert (job.inserted, job.updated, job.rejected) == (1, 1, 1)
    assert Asset.objects.get(pk=asset.pk).name == "lt-new"
    rejection = job.rejections.get()
    assert rejection.row_number == 2 and "status" in rejection.errors
    ordered.refresh_from_db()
    assert ordered.lifecycle == Asset.Lifecycle.ORDERED and ordered.ci.status == "planned"
