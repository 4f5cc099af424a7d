from apps.core.tasks import RETRY_TRANSIENT_ERRORS, task


@task(**RETRY_TRANSIENT_ERRORS)
def order_export_build_task(*, export_id: str) -> None:
    # Imported here because services import this module to enqueue the task.
    from apps.orders.exports.services import order_export_build

    order_export_build(export_id=export_id)
