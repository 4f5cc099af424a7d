"""Deployment checks: loopback deliveries exist for the tests' receiver on 127.0.0.1, never for production."""

from collections.abc import Sequence

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

MSG_LOOPBACK_ALLOWED = "DJANGO_WEBHOOK_ALLOW_LOOPBACK is on: a webhook endpoint may reach this server's own services."
HINT_LOOPBACK_ALLOWED = "Turn it off outside the tests: it lets a customer's URL point at 127.0.0.1 and ::1."


@checks.register(checks.Tags.security, deploy=True)
def loopback_deliveries_check(app_configs: Sequence[AppConfig] | None, **kwargs: object) -> list[checks.CheckMessage]:
    if settings.WEBHOOK_ALLOW_LOOPBACK:
        return [checks.Warning(MSG_LOOPBACK_ALLOWED, hint=HINT_LOOPBACK_ALLOWED, id="webhooks.W001")]
    return []
