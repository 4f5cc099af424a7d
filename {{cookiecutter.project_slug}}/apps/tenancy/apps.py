from django.apps import AppConfig


class TenancyConfig(AppConfig):
    """Tenants, memberships, and the current tenant that scopes queries (docs/tenancy.md)."""

    name = "apps.tenancy"
    label = "tenancy"
