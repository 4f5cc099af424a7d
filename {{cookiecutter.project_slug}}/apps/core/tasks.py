from smtplib import SMTPException
from typing import Any

from celery import shared_task
from django.core.management import call_command

# Mail servers and networks fail for a moment; tasks that talk to them retry these
# with exponential backoff and jitter: `@shared_task(**RETRY_TRANSIENT_ERRORS)`.
RETRY_TRANSIENT_ERRORS: dict[str, Any] = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
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
