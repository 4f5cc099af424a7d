import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from apps.webhooks import signing
from apps.webhooks.errors import SignatureError, SignatureMissing

BODY = json.dumps({"type": "invoice.paid", "data": {"id": "in_1"}}).encode()
TOLERANCE = 300


def headers(secret: str, body: bytes = BODY, message_id: str = "msg_1", timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.sign(secret=secret, message_id=message_id, timestamp=timestamp, body=body),
    }


def test_a_new_secret_is_random_and_in_the_whsec_form() -> None:
    first, second = signing.secret_generate(), signing.secret_generate()

    assert first != second
    assert first.startswith("whsec_")
    assert len(signing._key(first)) == signing.KEY_BYTES


def test_our_signature_is_verified_by_the_reference_implementation() -> None:
    secret = signing.secret_generate()

    verified = Webhook(secret).verify(BODY, headers(secret))

    assert verified == json.loads(BODY)


def test_a_signature_made_by_the_reference_implementation_is_verified_here() -> None:
    secret = signing.secret_generate()
    now = int(time.time())
    signature = Webhook(secret).sign("msg_2", datetime.fromtimestamp(now, tz=UTC), BODY.decode())
    delivered = {"webhook-id": "msg_2", "webhook-timestamp": str(now), "webhook-signature": signature}

    assert signing.verify(secret=secret, headers=delivered, body=BODY, tolerance=TOLERANCE) == "msg_2"


def test_one_of_several_signatures_is_enough_while_a_secret_is_rotated() -> None:
    old, new = signing.secret_generate(), signing.secret_generate()
    delivered = headers(new)
    by_old = headers(old, timestamp=int(delivered["webhook-timestamp"]))["webhook-signature"]
    delivered["webhook-signature"] = f"{by_old} {delivered['webhook-signature']}"

    assert signing.verify(secret=new, headers=delivered, body=BODY, tolerance=TOLERANCE) == "msg_1"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda h, b: (h, b.replace(b"in_1", b"in_2")), id="body"),
        pytest.param(lambda h, b: ({**h, "webhook-id": "msg_other"}, b), id="id"),
        pytest.param(lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) - 1)}, b), id="time"),
        pytest.param(lambda h, b: ({**h, "webhook-signature": "v1," + "A" * 44}, b), id="signature"),
    ],
)
def test_a_tampered_delivery_is_refused_here_and_by_the_reference(tamper) -> None:
    secret = signing.secret_generate()
    delivered, body = tamper(headers(secret), BODY)

    with pytest.raises(SignatureError):
        signing.verify(secret=secret, headers=delivered, body=body, tolerance=TOLERANCE)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, delivered)


@pytest.mark.parametrize("age", [TOLERANCE + 1, -(TOLERANCE + 1)], ids=["old", "from-the-future"])
def test_a_timestamp_outside_the_tolerance_is_refused(age: int) -> None:
    secret = signing.secret_generate()
    delivered = headers(secret, timestamp=int(time.time()) - age)

    with pytest.raises(SignatureError, match="too far from now"):
        signing.verify(secret=secret, headers=delivered, body=BODY, tolerance=TOLERANCE)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_a_missing_signature(missing: str) -> None:
    secret = signing.secret_generate()
    delivered = headers(secret)
    del delivered[missing]

    with pytest.raises(SignatureMissing):
        signing.verify(secret=secret, headers=delivered, body=BODY, tolerance=TOLERANCE)


def test_stripe_signatures_are_checked_over_the_raw_body_with_a_tolerance() -> None:
    now = int(time.time())
    valid = {"stripe-signature": signing.stripe_sign(secret="sk_test", timestamp=now, body=BODY)}
    stale = {"stripe-signature": signing.stripe_sign(secret="sk_test", timestamp=now - TOLERANCE - 1, body=BODY)}

    signing.stripe_verify(secret="sk_test", headers=valid, body=BODY, tolerance=TOLERANCE)
    with pytest.raises(SignatureError, match="No signature"):
        signing.stripe_verify(secret="sk_test", headers=valid, body=BODY + b" ", tolerance=TOLERANCE)
    with pytest.raises(SignatureError, match="too far"):
        signing.stripe_verify(secret="sk_test", headers=stale, body=BODY, tolerance=TOLERANCE)
    with pytest.raises(SignatureMissing):
        signing.stripe_verify(secret="sk_test", headers={}, body=BODY, tolerance=TOLERANCE)
