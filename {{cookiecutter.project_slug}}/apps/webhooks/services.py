"""Writes for webhooks: storing and processing what providers send, and sending our own events."""

import http.client
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.transactions import on_commit_robust
from apps.users.models import User
from apps.webhooks import signing, transport
from apps.webhooks.errors import DeliveryFailed, HandlerFailed, SignatureError, UnsafeDestination
from apps.webhooks.handlers import handler_for
from apps.webhooks.models import InboundEvent, WebhookDelivery, WebhookEndpoint
from apps.webhooks.tasks import inbound_event_process_task, webhook_delivery_send_task

MSG_NOT_AN_OBJECT = "The body must be a JSON object."
MSG_NO_EVENT_ID = "The body must carry the event's id as a non-empty string 'id' of at most 255 characters."
MSG_BAD_TYPE = "The event's 'type' must be a string of at most 255 characters."
MSG_UNSTORABLE = "The body holds text that cannot be stored (a NUL character or a lone surrogate)."
MSG_UNKNOWN_SCHEME = "Unknown signature scheme {scheme!r}."
MSG_REDIRECT = "Answered {status}: redirects are not followed."
MSG_STATUS = "Answered {status}."
# What is kept of an error message in the admin and the delivery log.
MAX_ERROR_LENGTH = 2000
ID_MAX_LENGTH = 255


# --- receiving --------------------------------------------------------------------------


def inbound_signature_verify(*, provider: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> str | None:
    """Check a delivery's signature over its raw body; return the event id the headers carry, if any.

    Raises SignatureError. Standard Webhooks puts the id in the webhook-id header;
    Stripe puts it in the body (None here).
    """
    tolerance = settings.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS
    if provider["scheme"] == "standard":
        return signing.verify(secret=provider["secret"], headers=headers, body=body, tolerance=tolerance)
    if provider["scheme"] == "stripe":
        signing.stripe_verify(secret=provider["secret"], headers=headers, body=body, tolerance=tolerance)
        return None
    raise SignatureError(MSG_UNKNOWN_SCHEME.format(scheme=provider["scheme"]))


def _storable(value: Any) -> bool:
    """PostgreSQL's jsonb refuses NUL characters, and UTF-8 cannot encode a lone surrogate."""
    if isinstance(value, str):
        return "\x00" not in value and not any(0xD800 <= ord(char) <= 0xDFFF for char in value)
    if isinstance(value, dict):
        return all(_storable(key) and _storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


def inbound_event_receive(*, provider: str, payload: Any, event_id: str | None = None) -> tuple[InboundEvent, bool]:
    """Store a verified event once; return it and whether it is new. Only a new one is processed.

    Called after the signature is verified. The row is written before anything else,
    and the work is queued only once it is committed: a crash before the commit leaves
    nothing (the provider retries), a crash after it leaves a row the task, or the
    admin's re-run, picks up.
    """
    if not isinstance(payload, dict):
        raise ValidationError(MSG_NOT_AN_OBJECT)
    event_id = event_id if event_id is not None else payload.get("id")
    if not isinstance(event_id, str) or not event_id or len(event_id) > ID_MAX_LENGTH:
        raise ValidationError({"id": MSG_NO_EVENT_ID})
    event_type = payload.get("type", "")
    if not isinstance(event_type, str) or len(event_type) > ID_MAX_LENGTH:
        raise ValidationError({"type": MSG_BAD_TYPE})
    if not _storable(payload) or not _storable(event_id):
        raise ValidationError(MSG_UNSTORABLE)
    with transaction.atomic():
        # get_or_create inserts in a savepoint: of two copies racing, the second waits on the
        # unique index, gets an IntegrityError once the first commits, and reads the first's row.
        event, created = InboundEvent.objects.get_or_create(
            provider=provider, event_id=event_id, defaults={"type": event_type, "payload": payload}
        )
        if created:
            on_commit_robust(inbound_event_process_task.delay, event_pk=event.pk)
    return event, created


def inbound_event_process(*, event_pk: int) -> InboundEvent:
    """Run an event's handler once; raise HandlerFailed (after recording it) so the task retries."""
    with transaction.atomic():
        event = InboundEvent.objects.select_for_update().get(pk=event_pk)
        if event.status in {InboundEvent.Status.PROCESSED, InboundEvent.Status.IGNORED}:
            return event  # a retry or a re-run of work already done
        handler = handler_for(event)
        event.attempts += 1
        failure: Exception | None = None
        if handler is None:
            event.status = InboundEvent.Status.IGNORED
        else:
            try:
                # A savepoint: what a failing handler wrote is undone, the attempt is still recorded.
                with transaction.atomic():
                    handler(event)
            # Whatever a handler raises is recorded, then retried.
            except Exception as error:
                failure = error
                event.status = InboundEvent.Status.FAILED
                event.last_error = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
            else:
                event.status = InboundEvent.Status.PROCESSED
                event.last_error = ""
        if failure is None:
            event.processed_at = timezone.now()
        event.save(update_fields=["status", "attempts", "last_error", "processed_at"])
    if failure is not None:
        raise HandlerFailed(event.last_error) from failure
    return event


def inbound_event_rerun(*, event: InboundEvent) -> bool:
    """Queue an event again (the admin's action): a failed one, or one still waiting for its task.

    An event stays "received" when queueing its task failed after the commit (the broker
    was down): it is stored, so nothing is lost, and this queues it. False for an event
    that is done (processed or ignored).
    """
    if event.status not in {InboundEvent.Status.FAILED, InboundEvent.Status.RECEIVED}:
        return False
    on_commit_robust(inbound_event_process_task.delay, event_pk=event.pk)
    return True


# --- sending ----------------------------------------------------------------------------


def webhook_endpoint_create(*, owner: User, url: str) -> WebhookEndpoint:
    """Register ``url`` for ``owner``'s events with a new secret (shown to the owner once, by the API).

    A URL whose host is a literal private address is refused here already; a host name
    is checked when each delivery resolves it, since what it resolves to can change.
    """
    try:
        _, host, _ = transport.url_check(url)
    except UnsafeDestination as error:
        raise ValidationError({"url": str(error)}) from error
    literal = transport.literal_address(host)
    if literal is not None and not transport.address_allowed(literal, allow_loopback=settings.WEBHOOK_ALLOW_LOOPBACK):
        raise ValidationError({"url": transport.MSG_NOT_PUBLIC.format(host=host, address=literal)})
    return WebhookEndpoint.objects.create(owner=owner, url=url, secret=signing.secret_generate())


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def webhook_event_publish(*, owner: User, event_type: str, payload: dict[str, Any]) -> str:
    """Queue ``event_type`` to each of ``owner``'s active endpoints once the transaction commits; return its id."""
    event_id = f"msg_{uuid.uuid4().hex}"
    for endpoint_id in WebhookEndpoint.objects.filter(owner=owner, active=True).values_list("pk", flat=True):
        on_commit_robust(
            webhook_delivery_send_task.delay,
            endpoint_id=str(endpoint_id),
            event_id=event_id,
            event_type=event_type,
            payload=payload,
        )
    return event_id


def _attempt(endpoint: WebhookEndpoint, body: bytes, event_id: str) -> tuple[int | None, str]:
    """POST once; (status code, error). Never raises for the endpoint's faults: they are the log's."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.sign(secret=endpoint.secret, message_id=event_id, timestamp=timestamp, body=body),
    }
    try:
        destination = transport.destination_resolve(endpoint.url, allow_loopback=settings.WEBHOOK_ALLOW_LOOPBACK)
        status = transport.destination_post(
            destination, body=body, headers=headers, timeout=settings.WEBHOOK_DELIVERY_TIMEOUT_SECONDS
        )
    except UnsafeDestination as error:
        return None, str(error)
    except (OSError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
    if 300 <= status < 400:
        return status, MSG_REDIRECT.format(status=status)
    return status, "" if 200 <= status < 300 else MSG_STATUS.format(status=status)


def webhook_delivery_send(
    *, endpoint_id: uuid.UUID | str, event_id: str, event_type: str, payload: dict[str, Any]
) -> WebhookDelivery | None:
    """Make and log one attempt; raise DeliveryFailed after logging a failure, so the task retries.

    None when the endpoint is gone or disabled: nothing is sent, nothing retried.
    """
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).first()
    if endpoint is None:
        return None
    attempt = WebhookDelivery.objects.filter(endpoint=endpoint, event_id=event_id).count() + 1
    body = json.dumps(
        {"type": event_type, "timestamp": timezone.now().isoformat(), "data": payload}, separators=(",", ":")
    ).encode()
    # No transaction is held open across the request: a slow endpoint must not pin a database connection.
    status, error = _attempt(endpoint, body, event_id)
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=event_id,
        type=event_type,
        payload=payload,
        attempt=attempt,
        status_code=status,
        error=error,
        finished_at=timezone.now(),
    )
    if delivery.succeeded:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_count=0)
        return delivery
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_count=F("failure_count") + 1)
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failure_count__gte=settings.WEBHOOK_DISABLE_AFTER_FAILURES).update(
        active=False
    )
    raise DeliveryFailed(f"{endpoint.url}: {error}")
