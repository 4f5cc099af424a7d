from smtplib import SMTPException

from celery import shared_task


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def order_confirmation_send_task(*, order_id: str) -> None:
    # Imported here because services import this module to enqueue the task.
    from apps.orders.services import order_confirmation_send

    order_confirmation_send(order_id=order_id)
