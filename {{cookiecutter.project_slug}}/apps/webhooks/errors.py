"""What the webhook code raises; the tasks retry on these (apps/webhooks/tasks.py)."""


class SignatureError(Exception):
    """A delivery whose signature, headers or timestamp do not check out."""


class SignatureMissing(SignatureError):
    """The signature headers are absent or malformed: a bad request rather than a forged one."""


class UnsafeDestination(Exception):
    """A URL whose host resolves to an address deliveries must never reach (server-side request forgery)."""


class HandlerFailed(Exception):
    """An inbound event's handler raised; the event is marked failed and the task retries it."""


class DeliveryFailed(Exception):
    """An outbound delivery got no 2xx; the attempt is logged and the task retries it."""
