"""With Celery, the delivery task retries a failed attempt by itself (eager here: the retries run at once)."""

import pytest

from apps.webhooks.models import WebhookDelivery
from apps.webhooks.tasks import RETRY_DELIVERY, RETRY_HANDLER, webhook_delivery_send_task
from apps.webhooks.tests.factories import WebhookEndpointFactory
from apps.webhooks.tests.receivers import receiver
from config.celery import app

pytestmark = pytest.mark.django_db


def test_the_tasks_retry_with_backoff() -> None:
    assert RETRY_DELIVERY["retry_backoff"]
    assert RETRY_HANDLER["retry_backoff"]
    assert RETRY_DELIVERY["max_retries"] >= 3


def test_a_delivery_that_fails_twice_is_retried_by_the_task_until_it_succeeds(settings, monkeypatch) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    # An eager retry re-applies the task; with propagation on, the second retry would raise
    # out of the first instead of being scheduled, as a worker would schedule it.
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    with receiver([500, 500, 200]) as customer:
        endpoint = WebhookEndpointFactory.create(url=customer.url)

        result = webhook_delivery_send_task.apply(
            kwargs={
                "endpoint_id": str(endpoint.pk),
                "event_id": "msg_1",
                "event_type": "order.cancelled",
                "payload": {"id": "o1"},
            },
        )

    assert result.successful()
    codes = list(WebhookDelivery.objects.order_by("attempt").values_list("attempt", "status_code"))
    assert codes == [(1, 500), (2, 500), (3, 200)]
    assert len(customer.received) == 3
