from django.apps import AppConfig


class OrderExportsConfig(AppConfig):
    """Part of the worked example: a file built in the background, kept in object storage, fetched by signed URL."""

    name = "apps.orders.exports"
    label = "order_exports"
    verbose_name = "Order exports (example)"
