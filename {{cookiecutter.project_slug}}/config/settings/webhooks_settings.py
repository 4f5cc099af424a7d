"""Webhooks: the providers this project receives from, and how it delivers to its customers' endpoints."""

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from config.env import env

# The signature schemes apps/webhooks/providers.py knows.
WEBHOOK_SCHEMES = ("standard", "stripe")
MSG_BAD_PROVIDER = (
    "DJANGO_WEBHOOK_PROVIDERS: provider %r needs a scheme (one of %s) and a non-empty secret, "
    'e.g. {"billing": {"scheme": "standard", "secret": "whsec_..."}}'
)


def webhook_providers(raw: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Checked at start-up: a provider without a secret would refuse every delivery, silently."""
    providers = {}
    for name, config in raw.items():
        if (
            not isinstance(config, dict)
            or config.get("scheme") not in WEBHOOK_SCHEMES
            or not isinstance(config.get("secret"), str)
            or not config["secret"]
        ):
            raise ImproperlyConfigured(MSG_BAD_PROVIDER % (name, ", ".join(WEBHOOK_SCHEMES)))
        providers[str(name)] = {"scheme": config["scheme"], "secret": config["secret"]}
    return providers


# Receiving: each provider posts to /api/v1/webhooks/<name>/. DJANGO_WEBHOOK_PROVIDERS is a JSON
# object of name -> scheme and secret (.env.example has one).
WEBHOOK_PROVIDERS = webhook_providers(env.json("DJANGO_WEBHOOK_PROVIDERS", default={}))
# A signed delivery older or newer than this is refused: a captured request cannot be replayed later.
WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = env.int("DJANGO_WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS", default=5 * 60)
# Larger bodies are answered 413 before their signature is computed.
WEBHOOK_MAX_BODY_BYTES = env.int("DJANGO_WEBHOOK_MAX_BODY_BYTES", default=256 * 1024)

# Sending: how long one delivery may take, and after how many failed attempts in a row an
# endpoint is disabled (its owner creates it again). With retries in the background each event is
# tried 11 times over about forty minutes, so 50 is several events that never got through, not one bad hour.
WEBHOOK_DELIVERY_TIMEOUT_SECONDS = env.int("DJANGO_WEBHOOK_DELIVERY_TIMEOUT_SECONDS", default=10)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("DJANGO_WEBHOOK_DISABLE_AFTER_FAILURES", default=50)
# Deliveries to loopback addresses are refused unless this is on: only tests and local experiments need it.
WEBHOOK_ALLOW_LOOPBACK = env.bool("DJANGO_WEBHOOK_ALLOW_LOOPBACK", default=False)
