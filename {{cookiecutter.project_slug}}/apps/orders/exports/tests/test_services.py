"""Order exports against moto's S3 server on loopback (apps/core/tests/object_storage.py)."""

import csv
import io
from unittest import mock

import pytest
from django.core.files.storage import Storage

from apps.core.tests.object_storage import S3Server
from apps.orders.exports.models import OrderExport
from apps.orders.exports.services import (
    CSV_HEADER,
    MSG_STORAGE_DOWN,
    order_export_build,
    order_export_create,
)
from apps.orders.exports.tasks import order_export_build_task
from apps.orders.exports.tests.factories import OrderExportFactory
from apps.orders.tests.factories import OrderFactory, OrderItemFactory
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def rows(storage: Storage, name: str) -> list[list[str]]:
    with storage.open(name) as stored:
        return list(csv.reader(io.StringIO(stored.read().decode())))


def test_create_records_a_pending_export_and_enqueues_its_build_after_commit(
    user: User, django_capture_on_commit_callbacks
) -> None:
    with (
        mock.patch.object(order_export_build_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        export = order_export_create(owner=user)
        delay.assert_not_called()

    delay.assert_called_once_with(export_id=str(export.pk))
    assert export.status == OrderExport.Status.PENDING
    assert not export.file


def test_build_stores_the_owners_orders_and_only_then_is_ready(
    user: User, s3_storage: Storage, s3_server: S3Server, s3_bucket: str
) -> None:
    mine = [OrderItemFactory.create(order__customer=user).order, OrderFactory.create(customer=user)]
    OrderFactory.create(customer=UserFactory.create())
    export = OrderExportFactory.create(owner=user)

    built = order_export_build(export_id=export.pk)

    assert built is not None
    assert built.status == OrderExport.Status.READY
    assert built.finished_at is not None
    assert built.error == ""
    assert s3_server.keys(s3_bucket) == [built.file.name]
    assert built.file.name.startswith(f"order-exports/{user.pk}/")
    header, *lines = rows(s3_storage, built.file.name)
    assert header == CSV_HEADER
    assert sorted(line[0] for line in lines) == sorted(str(order.pk) for order in mine)
    assert {line[0]: line[4] for line in lines}[str(mine[0].pk)] == "1"


def test_a_second_run_of_the_task_changes_nothing(
    user: User, s3_storage: Storage, s3_server: S3Server, s3_bucket: str
) -> None:
    export = OrderExportFactory.create(owner=user)
    first = order_export_build(export_id=export.pk)

    assert order_export_build(export_id=export.pk) is None

    assert first is not None
    assert s3_server.keys(s3_bucket) == [first.file.name]
    export.refresh_from_db()
    assert export.file.name == first.file.name


def test_a_run_that_loses_the_race_deletes_its_own_copy(
    user: User, s3_storage: Storage, s3_server: S3Server, s3_bucket: str
) -> None:
    export = OrderExportFactory.create(owner=user)
    save = s3_storage.save

    def save_while_another_run_finishes(name: str, content) -> str:
        stored = save(name, content)
        OrderExport.objects.filter(pk=export.pk).update(
            status=OrderExport.Status.READY, file="order-exports/winner.csv"
        )
        return stored

    with mock.patch.object(s3_storage, "save", side_effect=save_while_another_run_finishes):
        assert order_export_build(export_id=export.pk) is None

    export.refresh_from_db()
    assert export.file.name == "order-exports/winner.csv"
    assert s3_server.keys(s3_bucket) == []


def test_a_store_that_is_down_fails_the_export_with_a_clear_error_and_stores_nothing(
    user: User, s3_down: None, s3_server: S3Server, s3_bucket: str
) -> None:
    OrderFactory.create(customer=user)
    export = OrderExportFactory.create(owner=user)

    failed = order_export_build(export_id=export.pk)

    assert failed is not None
    assert failed.status == OrderExport.Status.FAILED
    assert failed.error == MSG_STORAGE_DOWN
    assert failed.finished_at is not None
    assert not failed.file
    assert s3_server.keys(s3_bucket) == []


def test_create_builds_the_file_through_the_task(
    user: User, s3_storage: Storage, django_capture_on_commit_callbacks
) -> None:
    OrderFactory.create(customer=user)

    with django_capture_on_commit_callbacks(execute=True):
        export = order_export_create(owner=user)

    export.refresh_from_db()
    assert export.status == OrderExport.Status.READY
    assert len(rows(s3_storage, export.file.name)) == 2
