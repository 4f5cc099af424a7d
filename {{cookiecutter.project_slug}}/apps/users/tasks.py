from smtplib import SMTPException

from celery import shared_task


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def user_welcome_email_send_task(*, user_id: str) -> None:
    """Takes an id, not a User: the row is read fresh when the task runs."""
    # Imported here because services import this module to enqueue the task.
    from apps.users.services import user_welcome_email_send

    user_welcome_email_send(user_id=user_id)
