from django.apps import AppConfig


class AssetsConfig(AppConfig):
    """IT asset management: assets with their lifecycle and purchase data, contracts, licences, patch state."""

    name = "assets"
    verbose_name = "IT asset management"

    def ready(self):
        from assets import ci_sync
        from cmdb import events

        events.subscribe_ci_changed(ci_sync.on_ci_changed, mirrored=ci_sync.cis_with_assets)
