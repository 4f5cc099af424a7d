from decimal import Decimal

import pytest
from django.db import IntegrityError

from apps.orders.models import Order, Product
from apps.orders.tests.factories import OrderFactory, OrderItemFactory, ProductFactory


def test_line_total_and_str() -> None:
    item = OrderItemFactory.build(quantity=3, unit_price=Decimal("2.50"))

    assert item.line_total == Decimal("7.50")
    assert str(item).startswith("3 x ")


@pytest.mark.django_db
def test_price_with_tax_is_computed_by_the_database() -> None:
    product = ProductFactory.create(price=Decimal("19.99"), tax_rate=Decimal("0.070"))
    product.refresh_from_db()

    assert product.price_with_tax == Decimal("21.39")
    assert Product.objects.filter(price_with_tax__gt=Decimal("21.00")).get() == product


@pytest.mark.django_db
def test_database_defaults_apply_to_rows_inserted_without_them() -> None:
    product = Product.objects.create(name="Plain", sku="PLAIN", price=Decimal("1.00"))
    order = Order.objects.create(customer=OrderFactory.create().customer)

    product.refresh_from_db()
    order.refresh_from_db()
    assert product.tax_rate == Decimal("0.200")
    assert order.status == Order.Status.PENDING
    assert order.placed_at is not None
    assert str(order) == f"Order {order.pk} (pending)"
    assert str(product) == "Plain (PLAIN)"


@pytest.mark.django_db
def test_a_negative_price_is_refused_by_the_database() -> None:
    with pytest.raises(IntegrityError):
        ProductFactory.create(price=Decimal("-1.00"))


@pytest.mark.django_db
def test_soft_deleted_orders_disappear_from_the_default_manager() -> None:
    order = OrderFactory.create()

    order.delete()

    assert not Order.objects.filter(pk=order.pk).exists()
    assert Order.all_objects.filter(pk=order.pk).exists()
