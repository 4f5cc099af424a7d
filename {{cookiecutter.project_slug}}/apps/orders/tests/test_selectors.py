from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apps.orders.models import Order
from apps.orders.selectors import order_get, order_list, order_revenue_by_month, order_summary
from apps.orders.tests.factories import OrderFactory, OrderItemFactory
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_order_list_is_one_query_with_item_counts(user: User, django_assert_num_queries) -> None:
    first = OrderFactory.create(customer=user)
    OrderItemFactory.create_batch(2, order=first)
    OrderFactory.create(customer=user)
    OrderFactory.create()  # someone else's

    with django_assert_num_queries(1):
        counts = sorted(row["item_count"] for row in order_list(customer=user))

    assert counts == [0, 2]


def test_order_list_joins_no_other_table(user: User) -> None:
    # A JOIN + GROUP BY would count the items of the whole history before the page's LIMIT.
    sql = str(order_list(customer=user).query)

    assert " JOIN " not in sql


def test_order_get_prefetches_items_and_products(user: User, django_assert_num_queries) -> None:
    order = OrderFactory.create(customer=user)
    OrderItemFactory.create_batch(3, order=order)

    with django_assert_num_queries(2):
        found = order_get(customer=user, order_id=order.pk)
        assert found is not None
        names = [item.product.name for item in found.items.all()]

    assert len(names) == 3


def test_order_get_hides_other_peoples_orders_and_garbage_ids(user: User) -> None:
    theirs = OrderFactory.create()

    assert order_get(customer=user, order_id=theirs.pk) is None
    assert order_get(customer=user, order_id="not-a-uuid") is None


def test_summary_counts_and_paid_revenue(user: User, django_assert_num_queries) -> None:
    OrderFactory.create(customer=user, status=Order.Status.PAID, amount=Decimal("10.00"))
    OrderFactory.create(customer=user, status=Order.Status.PAID, amount=Decimal("25.00"))
    OrderFactory.create(customer=user, status=Order.Status.PENDING, amount=Decimal("99.00"))
    OrderFactory.create(customer=user, status=Order.Status.CANCELLED, amount=Decimal("5.00"))
    OrderFactory.create(status=Order.Status.PAID, amount=Decimal("1000.00"))

    with django_assert_num_queries(1):
        summary = order_summary(customer=user)

    assert summary == {
        "total": 4,
        "pending": 1,
        "paid": 2,
        "cancelled": 1,
        "paid_revenue": Decimal("35.00"),
        "average_paid_order": Decimal("17.50"),
    }


def test_summary_of_nobody_is_zeros_not_none() -> None:
    assert order_summary(customer=UserFactory.create()) == {
        "total": 0, "pending": 0, "paid": 0, "cancelled": 0,
        "paid_revenue": Decimal("0.00"), "average_paid_order": Decimal("0.00"),
    }  # fmt: skip


def test_revenue_by_month_counts_paid_orders_only(user: User) -> None:
    def paid(day: datetime, amount: str, status: str = Order.Status.PAID) -> None:
        OrderFactory.create(customer=user, status=status, amount=Decimal(amount), created_at=day)

    paid(datetime(2026, 1, 5, tzinfo=UTC), "10.00")
    paid(datetime(2026, 1, 20, tzinfo=UTC), "15.00")
    paid(datetime(2026, 3, 2, tzinfo=UTC), "7.50")
    paid(datetime(2026, 3, 3, tzinfo=UTC), "100.00", status=Order.Status.PENDING)

    report = order_revenue_by_month(customer=user)

    assert [(row["month"].month, row["revenue"], row["orders"]) for row in report] == [
        (1, Decimal("25.00"), 2),
        (3, Decimal("7.50"), 1),
    ]
