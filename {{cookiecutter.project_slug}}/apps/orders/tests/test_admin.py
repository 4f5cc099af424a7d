import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.orders import admin as orders_admin
from apps.orders import services
from apps.orders.models import Order, Product
from apps.orders.tests.factories import OrderFactory, OrderItemFactory, ProductFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:orders_order_changelist"


def cancel_through_admin(client: Client, *orders: Order) -> list[tuple[int, str]]:
    """Run the action on ``orders`` and return the messages it left for the next page."""
    response = client.post(
        reverse(CHANGELIST),
        {"action": "order_cancel_selected", "_selected_action": [str(order.pk) for order in orders]},
    )
    assert response.status_code == 302
    return [(message.level, message.message) for message in get_messages(response.wsgi_request)]


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_cancel_action_cancels_pending_orders_and_restores_stock(admin_client: Client) -> None:
    pen = ProductFactory.create(stock=7)
    order = OrderItemFactory.create(product=pen, quantity=3).order

    reported = cancel_through_admin(admin_client, order)

    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    assert Product.objects.get(pk=pen.pk).stock == 10
    assert reported == [(messages.SUCCESS, orders_admin.MSG_ORDERS_CANCELLED.format(count=1))]


@pytest.mark.parametrize("status", [Order.Status.PAID, Order.Status.CANCELLED])
def test_cancel_action_refuses_orders_that_are_not_pending(admin_client: Client, status: Order.Status) -> None:
    pen = ProductFactory.create(stock=7)
    order = OrderItemFactory.create(product=pen, quantity=3, order__status=status).order

    reported = cancel_through_admin(admin_client, order)

    reason = services.MSG_NOT_CANCELLABLE.format(status=status.label.lower())
    assert reported == [
        (messages.ERROR, orders_admin.MSG_ORDER_NOT_CANCELLED.format(order_id=order.pk, reason=reason))
    ]
    assert Order.objects.get(pk=order.pk).status == status
    assert Product.objects.get(pk=pen.pk).stock == 7


def test_cancel_action_reports_each_order_of_a_mixed_selection(admin_client: Client) -> None:
    pending = OrderFactory.create()
    paid = OrderFactory.create(status=Order.Status.PAID)

    reported = cancel_through_admin(admin_client, pending, paid)

    reason = services.MSG_NOT_CANCELLABLE.format(status="paid")
    assert sorted(reported) == [
        (messages.SUCCESS, orders_admin.MSG_ORDERS_CANCELLED.format(count=1)),
        (messages.ERROR, orders_admin.MSG_ORDER_NOT_CANCELLED.format(order_id=paid.pk, reason=reason)),
    ]
    assert Order.objects.get(pk=pending.pk).status == Order.Status.CANCELLED
    assert Order.objects.get(pk=paid.pk).status == Order.Status.PAID


def test_status_is_shown_but_not_editable_on_the_change_form(admin_client: Client) -> None:
    order = OrderFactory.create()

    response = admin_client.get(reverse("admin:orders_order_change", args=[order.pk]))

    assert response.status_code == 200
    assert "status" not in response.context["adminform"].form.fields
    assert "status" in response.context["adminform"].readonly_fields


def test_change_page_query_count_does_not_grow_with_items(admin_client: Client) -> None:
    order = OrderItemFactory.create().order
    url = reverse("admin:orders_order_change", args=[order.pk])
    one_item = queries_for(admin_client, url)

    OrderItemFactory.create_batch(4, order=order)

    assert queries_for(admin_client, url) == one_item


def test_changelist_query_count_does_not_grow_with_orders(admin_client: Client) -> None:
    OrderFactory.create()
    url = reverse(CHANGELIST)
    one_order = queries_for(admin_client, url)

    OrderFactory.create_batch(4)

    assert queries_for(admin_client, url) == one_order


def test_orders_cannot_be_deleted_from_the_admin(admin_client: Client) -> None:
    pen = ProductFactory.create(stock=7)
    order = OrderItemFactory.create(product=pen, quantity=3).order

    response = admin_client.post(reverse("admin:orders_order_delete", args=[order.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()
    assert Product.objects.get(pk=pen.pk).stock == 7
