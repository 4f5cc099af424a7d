import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

from apps.api.exceptions import PROBLEM_CONTENT_TYPE
from apps.users.models import User
from apps.webhooks import handlers
from apps.webhooks.models import InboundEvent, WebhookEndpoint
from apps.webhooks.signing import secret_generate, stripe_sign
from apps.webhooks.tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

SECRET = secret_generate()
RECEIVE = "/api/v1/webhooks/billing/"
ENDPOINTS = "/api/v1/webhooks/endpoints/"
BODY = json.dumps({"type": "invoice.paid", "data": {"invoice": "in_1"}}).encode()


@pytest.fixture(autouse=True)
def providers(settings) -> None:
    settings.WEBHOOK_PROVIDERS = {
        "billing": {"scheme": "standard", "secret": SECRET},
        "stripe": {"scheme": "stripe", "secret": "whsec_stripe_test"},
    }


@pytest.fixture
def handled(monkeypatch) -> list[InboundEvent]:
    seen: list[InboundEvent] = []
    monkeypatch.setitem(handlers.HANDLERS, ("billing", "invoice.paid"), seen.append)
    return seen


def signed(body: bytes = BODY, message_id: str = "msg_1", at: float | None = None) -> dict[str, str]:
    """Headers of a delivery signed by the reference implementation, as a provider would send it."""
    timestamp = datetime.fromtimestamp(time.time() if at is None else at, tz=UTC)
    signature = Webhook(SECRET).sign(message_id, timestamp, body.decode())
    return {
        "HTTP_WEBHOOK_ID": message_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(timestamp.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }


def deliver(body: bytes = BODY, path: str = RECEIVE, headers: dict[str, str] | None = None):
    extra: dict[str, Any] = dict(headers or {})
    return APIClient().post(path, body, content_type="application/json", **extra)


def test_a_valid_delivery_is_stored_and_handled(handled, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        answer = deliver(headers=signed())

    assert answer.status_code == 202
    assert answer.json() == {"id": "msg_1", "duplicate": False}
    event = InboundEvent.objects.get()
    assert (event.provider, event.event_id, event.status) == ("billing", "msg_1", "processed")
    assert event.type == "invoice.paid"
    assert event.payload == json.loads(BODY)
    assert len(handled) == 1


def test_a_delivery_whose_handler_fails_is_still_accepted_and_the_event_marked_failed(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    def broken(event: InboundEvent) -> None:
        raise RuntimeError("ledger is down")

    monkeypatch.setitem(handlers.HANDLERS, ("billing", "invoice.paid"), broken)

    with django_capture_on_commit_callbacks(execute=True):
        answer = deliver(headers=signed())

    assert answer.status_code == 202
    event = InboundEvent.objects.get()
    assert (event.status, event.last_error) == ("failed", "RuntimeError: ledger is down")


def test_a_replayed_delivery_is_answered_200_and_does_nothing(handled, django_capture_on_commit_callbacks) -> None:
    headers = signed()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(headers=headers)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        again = deliver(headers=headers)

    assert again.status_code == 200
    assert again.json() == {"id": "msg_1", "duplicate": True}
    assert (InboundEvent.objects.count(), len(handled), queued) == (1, 1, [])


def test_a_tampered_body_is_a_401_problem() -> None:
    answer = deliver(BODY.replace(b"in_1", b"in_2"), headers=signed())

    assert answer.status_code == 401
    assert answer["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert answer.json()["code"] == "invalid_signature"
    assert not InboundEvent.objects.exists()


def test_a_signature_that_only_matches_the_reformatted_body_is_refused() -> None:
    # The same JSON with other whitespace: the signature is over the bytes sent, not the parsed document.
    reformatted = json.dumps(json.loads(BODY), indent=2).encode()

    answer = deliver(reformatted, headers=signed(BODY))

    assert answer.status_code == 401


def test_a_stale_delivery_is_a_401_problem() -> None:
    answer = deliver(headers=signed(at=time.time() - 6 * 60))

    assert answer.status_code == 401
    assert "too far from now" in answer.json()["detail"]
    assert not InboundEvent.objects.exists()


def test_an_unsigned_delivery_is_a_400_problem() -> None:
    answer = deliver()

    assert answer.status_code == 400
    assert answer["Content-Type"] == PROBLEM_CONTENT_TYPE


def test_an_oversized_delivery_is_a_413_problem_before_its_signature_is_computed(settings) -> None:
    settings.WEBHOOK_MAX_BODY_BYTES = 1024
    body = json.dumps({"padding": "x" * 2048}).encode()

    answer = deliver(body, headers=signed(body))

    assert answer.status_code == 413
    assert answer["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert not InboundEvent.objects.exists()


def test_a_signed_body_that_is_not_json_is_a_400_problem() -> None:
    body = b'{"type": "invoice.paid",'

    answer = deliver(body, headers=signed(body))

    assert answer.status_code == 400
    assert answer.json()["code"] == "parse_error"


def test_an_unknown_provider_is_a_404_problem() -> None:
    answer = deliver(path="/api/v1/webhooks/nobody/", headers=signed())

    assert answer.status_code == 404
    assert answer["Content-Type"] == PROBLEM_CONTENT_TYPE


def test_stripe_deliveries_take_their_event_id_from_the_body() -> None:
    body = json.dumps({"id": "evt_1", "type": "charge.succeeded"}).encode()
    header = stripe_sign(secret="whsec_stripe_test", timestamp=int(time.time()), body=body)

    answer = deliver(body, path="/api/v1/webhooks/stripe/", headers={"HTTP_STRIPE_SIGNATURE": header})

    assert answer.status_code == 202
    assert InboundEvent.objects.get().event_id == "evt_1"


# --- customers' endpoints ----------------------------------------------------------------


@pytest.fixture
def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_secret_is_shown_once_when_the_endpoint_is_created(api: APIClient, user: User) -> None:
    created = api.post(ENDPOINTS, {"url": "https://hooks.example.com/events"})
    listed = api.get(ENDPOINTS)

    assert created.status_code == 201
    body = created.json()
    assert body["secret"] == WebhookEndpoint.objects.get(owner=user).secret
    assert body["secret"].startswith("whsec_")
    assert [endpoint["id"] for endpoint in listed.json()["results"]] == [body["id"]]
    assert "secret" not in listed.json()["results"][0]


def test_an_endpoint_on_a_private_address_is_a_400_problem(api: APIClient) -> None:
    answer = api.post(ENDPOINTS, {"url": "http://169.254.169.254/latest/meta-data/"})

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "url"


def test_only_the_owner_lists_and_deletes_an_endpoint(api: APIClient, user: User) -> None:
    own = WebhookEndpointFactory.create(owner=user)
    others = WebhookEndpointFactory.create()

    assert [row["id"] for row in api.get(ENDPOINTS).json()["results"]] == [str(own.pk)]
    assert api.delete(f"{ENDPOINTS}{others.pk}/").status_code == 404
    assert api.delete(f"{ENDPOINTS}not-a-uuid/").status_code == 404
    assert api.delete(f"{ENDPOINTS}{own.pk}/").status_code == 204
    assert list(WebhookEndpoint.objects.all()) == [others]


def test_managing_endpoints_needs_a_login() -> None:
    assert APIClient().get(ENDPOINTS).status_code == 401
