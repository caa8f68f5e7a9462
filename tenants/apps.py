from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Client tenants"

    def ready(self):
        from tenants import host_cache

        host_cache.watch()
