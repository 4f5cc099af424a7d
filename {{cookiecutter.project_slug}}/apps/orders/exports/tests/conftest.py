"""Exports read orders, which belong to a tenant: these tests run inside one, as the orders tests do."""

from apps.orders.tests.conftest import tenant, user

__all__ = ["tenant", "user"]
