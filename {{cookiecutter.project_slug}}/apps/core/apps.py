from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core"


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the project's site (apps/core/admin.py); INSTALLED_APPS lists it in its place."""

    # Not the app config Django picks for "apps.core": that stays CoreConfig.
    default = False
    default_site = "apps.core.admin.AdminSite"
