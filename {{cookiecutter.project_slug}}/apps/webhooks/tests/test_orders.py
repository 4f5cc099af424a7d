"""The example app's hook: a cancelled order is announced to its customer's endpoints."""

import pytest

from apps.orders.services import order_cancel
{%- if cookiecutter.use_tenancy %}
from apps.orders.tests.conftest import tenant  # noqa: F401 - orders belong to a tenant: each test runs in one
{%- endif %}
from apps.orders.tests.factories import OrderFactory
from apps.webhooks import services
from apps.webhooks.tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def test_cancelling_an_order_queues_an_event_to_the_customers_endpoints(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    order = OrderFactory.create()
    endpoint = WebhookEndpointFactory.create(owner=order.customer)
    WebhookEndpointFactory.create()  # another customer's
    queued: list[dict] = []
    monkeypatch.setattr(services.webhook_delivery_send_task, "delay", lambda **kwargs: queued.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order=order, cancelled_by=order.customer)

    [event] = queued
    assert (event["endpoint_id"], event["event_type"], event["payload"]) == (
        str(endpoint.pk),
        "order.cancelled",
        {"id": str(order.pk)},
    )
