from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People, roles and groups"

    def ready(self):
        from accounts import token_cache

        token_cache.watch()
