from django.apps import AppConfig


class OrdersConfig(AppConfig):
    """The worked example: read it, copy its patterns, then `make remove-example-app`."""

    name = "apps.orders"
    label = "orders"
    verbose_name = "Orders (example)"
