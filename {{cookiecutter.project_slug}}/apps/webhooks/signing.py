"""Standard Webhooks signatures (https://www.standardwebhooks.com/), and Stripe's, over the raw body.

Standard Webhooks: ``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``
with the secret ``whsec_<base64 key>``; the header may list several space-separated
signatures (one per secret while a secret is rotated). Stripe: ``Stripe-Signature:
t=<timestamp>,v1=<hex HMAC-SHA256 of "{t}.{body}">``, the secret used as text.

Every comparison is ``hmac.compare_digest``: the time a comparison takes must not tell
an attacker how many leading bytes of a forged signature were right.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

from apps.webhooks.errors import SignatureError, SignatureMissing

KEY_PREFIX = "whsec_"
KEY_BYTES = 24
MSG_MISSING_HEADERS = "The webhook-id, webhook-timestamp and webhook-signature headers are required."
MSG_MISSING_STRIPE_HEADER = "The Stripe-Signature header, with one t= and at least one v1= field, is required."
MSG_BAD_TIMESTAMP = "The signature's timestamp is not a number of seconds."
MSG_STALE = "The signature's timestamp is too far from now: a replay, or a clock that is off."
MSG_NO_MATCH = "No signature matches the body."
MSG_BAD_KEY = "The webhook secret is not base64 (with or without its whsec_ prefix)."


def secret_generate() -> str:
    """A new endpoint secret: 24 random bytes, base64, with the whsec_ prefix the scheme uses."""
    return KEY_PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(KEY_PREFIX), validate=True)
    except binascii.Error as error:
        raise SignatureError(MSG_BAD_KEY) from error


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one delivery."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


def _timestamp(raw: str, tolerance: int, now: float | None) -> int:
    try:
        timestamp = int(raw)
    except ValueError as error:
        raise SignatureMissing(MSG_BAD_TIMESTAMP) from error
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError(MSG_STALE)
    return timestamp


def verify(*, secret: str, headers: Mapping[str, str], body: bytes, tolerance: int, now: float | None = None) -> str:
    """Check a Standard Webhooks delivery; return its message id (the event id), or raise SignatureError."""
    message_id = headers.get("webhook-id", "")
    raw_timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (message_id and raw_timestamp and signatures):
        raise SignatureMissing(MSG_MISSING_HEADERS)
    timestamp = _timestamp(raw_timestamp, tolerance, now)
    expected = sign(secret=secret, message_id=message_id, timestamp=timestamp, body=body).encode()
    # Every listed signature is compared, whatever an earlier one gave.
    matches = [hmac.compare_digest(expected, candidate.encode()) for candidate in signatures.split()]
    if not any(matches):
        raise SignatureError(MSG_NO_MATCH)
    return message_id


def stripe_sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The ``Stripe-Signature`` header value Stripe would send."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_verify(
    *, secret: str, headers: Mapping[str, str], body: bytes, tolerance: int, now: float | None = None
) -> None:
    """Check a delivery signed by Stripe's scheme, or raise SignatureError (the event id is in the body)."""
    fields = [part.partition("=") for part in headers.get("stripe-signature", "").split(",")]
    timestamps = [value for name, _, value in fields if name.strip() == "t"]
    candidates = [value.encode() for name, _, value in fields if name.strip() == "v1"]
    if len(timestamps) != 1 or not candidates:
        raise SignatureMissing(MSG_MISSING_STRIPE_HEADER)
    timestamp = _timestamp(timestamps[0], tolerance, now)
    expected = stripe_sign(secret=secret, timestamp=timestamp, body=body).rpartition("v1=")[2].encode()
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    if not any(matches):
        raise SignatureError(MSG_NO_MATCH)
