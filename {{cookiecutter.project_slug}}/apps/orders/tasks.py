from apps.core.tasks import RETRY_TRANSIENT_ERRORS, task


@task(**RETRY_TRANSIENT_ERRORS)
def order_confirmation_send_task(*, order_id: str) -> None:
    # Imported here because services import this module to enqueue the task.
    from apps.orders.services import order_confirmation_send

    order_confirmation_send(order_id=order_id)
