"""Writes for order exports: the record, then the file, then "ready", in that order."""

import csv
import io
import logging
import uuid

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from apps.core.transactions import on_commit_robust
from apps.orders.exports.models import OrderExport
from apps.orders.exports.tasks import order_export_build_task
from apps.orders.selectors import order_list
from apps.users.models import User

logger = logging.getLogger(__name__)

MSG_STORAGE_DOWN = "The file store could not be reached; the export was not saved. Request a new one."
CSV_HEADER = ["order_id", "placed_at", "status", "amount", "item_count"]


def order_export_create(*, owner: User) -> OrderExport:
    """Record a pending export of ``owner``'s orders; a task builds the file once the record is committed."""
    with transaction.atomic():
        export = OrderExport.objects.create(owner=owner)
        on_commit_robust(order_export_build_task.delay, export_id=str(export.pk))
    return export


def order_export_csv(*, owner: User) -> bytes:
    """Every order of ``owner``, one row each.

    No free text (notes): a cell that a spreadsheet could run as a formula never appears.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for order in order_list(customer=owner).iterator(chunk_size=500):
        row = [order["id"], order["placed_at"].isoformat(), order["status"], order["amount"], order["item_count"]]
        writer.writerow(row)
    return buffer.getvalue().encode()


def order_export_build(*, export_id: uuid.UUID | str) -> OrderExport | None:
    """Store the CSV, then mark the export ready; None when it is not pending (built already, by a redelivery).

    A store that is down marks the export failed with a message for its owner. An upload
    is one PUT that the store keeps whole or not at all, so a failure leaves no partial
    object, and the record names a file only once it is completely stored.
    """
    export = (
        OrderExport.objects.select_related("owner").filter(pk=export_id, status=OrderExport.Status.PENDING).first()
    )
    if export is None:
        return None
    storage = export.file.storage
    content = ContentFile(order_export_csv(owner=export.owner))
    try:
        # A random name under the owner's prefix: even a guessed key is useless without a signature.
        name = storage.save(f"order-exports/{export.owner_id}/{uuid.uuid4()}.csv", content)
    except (BotoCoreError, ClientError, OSError):
        logger.warning("Order export %s failed: the file store is unreachable", export.pk, exc_info=True)
        OrderExport.objects.filter(pk=export.pk, status=OrderExport.Status.PENDING).update(
            status=OrderExport.Status.FAILED, error=MSG_STORAGE_DOWN, finished_at=timezone.now()
        )
        export.refresh_from_db()
        return export
    marked = OrderExport.objects.filter(pk=export.pk, status=OrderExport.Status.PENDING).update(
        status=OrderExport.Status.READY, file=name, finished_at=timezone.now()
    )
    if not marked:
        # Another run of the task finished first and its file is the export's: this copy is nobody's.
        storage.delete(name)
        return None
    export.refresh_from_db()
    return export
