from django.apps import AppConfig


class CmdbConfig(AppConfig):
    """Configuration management (CMDB): CI classes, CIs, typed relationships, impact, affected CIs on tickets."""

    name = "cmdb"
    verbose_name = "Configuration management (CMDB)"

    def ready(self):
        from cmdb.extension import AffectedCIExtension
        from tickets import extensions

        # The "Affected CIs" card and API fields on the types that opt in (incidents, problems, tasks).
        extensions.register(AffectedCIExtension())
