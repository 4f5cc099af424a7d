from django.apps import AppConfig


class TenancyTestAppConfig(AppConfig):
    """Installed by the test settings only: a tenant-owned model that needs no example app."""

    name = "apps.tenancy.tests.testapp"
    label = "tenancy_testapp"
