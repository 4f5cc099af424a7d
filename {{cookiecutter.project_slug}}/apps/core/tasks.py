from celery import shared_task
from django.core.management import call_command


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
