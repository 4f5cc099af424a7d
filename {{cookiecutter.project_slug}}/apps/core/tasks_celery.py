from smtplib import SMTPException
from typing import Any

from celery import shared_task
from django.core.management import call_command

# Mail servers and networks fail for a while; tasks that talk to them retry these
# with exponential backoff and jitter: `@shared_task(**RETRY_TRANSIENT_ERRORS)`.
# Waits of up to 5 s, 10 s, 20 s ... capped at 10 minutes: ten retries cover an outage
# of about forty minutes, not the half minute that backoff from 1 s and five retries would.
# Each wait stays under the broker's visibility timeout, so a waiting retry is not redelivered.
RETRY_TRANSIENT_ERRORS: dict[str, Any] = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 10,
}


@shared_task
def sessions_clear_expired_task() -> None:
    """Expired database sessions are never removed by Django itself; beat runs this nightly."""
    call_command("clearsessions")
{%- if cookiecutter.use_drf %}


@shared_task
def jwt_blacklist_flush_expired_task() -> None:
    """Blacklisted refresh tokens matter only until they expire; afterwards they are clutter."""
    call_command("flushexpiredtokens")
{%- endif %}
