import logging
from unittest import mock

import pytest
from django.core import mail
from kombu.exceptions import OperationalError

from apps.orders.models import Order
from apps.orders.services import CONFIRMATION_SUBJECT, OrderLine, order_create
from apps.orders.tasks import order_confirmation_send_task
from apps.orders.tests.factories import OrderFactory, ProductFactory
from apps.users.models import User
from config.celery import app

pytestmark = pytest.mark.django_db


def test_order_enqueues_its_confirmation_only_after_commit(user: User, django_capture_on_commit_callbacks) -> None:
    pen = ProductFactory.create()

    with (
        mock.patch.object(order_confirmation_send_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = order_create(customer=user, items=[OrderLine(pen.pk, 1)])
        delay.assert_not_called()

    delay.assert_called_once_with(order_id=str(order.pk))


def test_a_broker_outage_after_the_order_is_logged_and_the_order_stands(
    user: User, django_capture_on_commit_callbacks, caplog: pytest.LogCaptureFixture
) -> None:
    pen = ProductFactory.create(stock=5)

    with (
        mock.patch.object(order_confirmation_send_task, "delay", side_effect=OperationalError("broker down")),
        caplog.at_level(logging.ERROR, logger="apps.core.transactions"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = order_create(customer=user, items=[OrderLine(pen.pk, 2)])

    assert Order.objects.filter(pk=order.pk).exists()
    pen.refresh_from_db()
    assert pen.stock == 3
    assert [record.exc_info[0] for record in caplog.records if record.exc_info] == [OperationalError]


def test_task_sends_once_however_often_it_runs(user: User) -> None:
    order = OrderFactory.create(customer=user)

    order_confirmation_send_task.delay(order_id=str(order.pk))
    order_confirmation_send_task.delay(order_id=str(order.pk))

    assert [m.subject for m in mail.outbox] == [CONFIRMATION_SUBJECT]


def test_order_tasks_go_to_the_critical_queue() -> None:
    assert app.amqp.router.route({}, order_confirmation_send_task.name)["queue"].name == "critical"
