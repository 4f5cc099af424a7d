from typing import Any

from apps.core.tasks import RETRY_TRANSIENT_ERRORS, task
from apps.webhooks.errors import DeliveryFailed, HandlerFailed

# A failed handler or delivery is retried with the project's backoff: 5 s, 10 s, 20 s ... up
# to 10 minutes between tries, ten retries. Without a task queue these options are ignored
# and a failure stays recorded for the admin's re-run action (docs/webhooks.md).
RETRY_HANDLER: dict[str, Any] = {**RETRY_TRANSIENT_ERRORS, "autoretry_for": (HandlerFailed,)}
RETRY_DELIVERY: dict[str, Any] = {**RETRY_TRANSIENT_ERRORS, "autoretry_for": (DeliveryFailed,)}


@task(**RETRY_HANDLER)
def inbound_event_process_task(*, event_pk: int) -> None:
    # Imported here because services import this module to enqueue the task.
    from apps.webhooks.services import inbound_event_process

    inbound_event_process(event_pk=event_pk)


@task(**RETRY_DELIVERY)
def webhook_delivery_send_task(*, endpoint_id: str, event_id: str, event_type: str, payload: dict[str, Any]) -> None:
    from apps.webhooks.services import webhook_delivery_send

    webhook_delivery_send(endpoint_id=endpoint_id, event_id=event_id, event_type=event_type, payload=payload)
