from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from apps.core.middleware import clear_request_id

        request_finished.connect(clear_request_id, dispatch_uid="apps.core.clear_request_id")


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the project's site (apps/core/admin.py); INSTALLED_APPS lists it in its place."""

    # Not the app config Django picks for "apps.core": that stays CoreConfig.
    default = False
    default_site = "apps.core.admin.AdminSite"
