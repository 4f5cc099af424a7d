import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from apps.orders import services
from apps.orders.models import Order, OrderItem, Product
from apps.orders.services import OrderLine, order_cancel, order_confirmation_send, order_create
from apps.orders.tests.factories import OrderFactory, ProductFactory
{%- if cookiecutter.use_tenancy %}
from apps.tenancy.context import tenant_bound, tenant_context
from apps.tenancy.models import Tenant
{%- endif %}
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def stock_of(product: Product) -> int:
    return Product.objects.get(pk=product.pk).stock


def test_order_create_takes_stock_and_records_prices(user: User) -> None:
    pen = ProductFactory.create(price=Decimal("2.50"), stock=10)
    ink = ProductFactory.create(price=Decimal("7.00"), stock=3)

    order = order_create(
        customer=user, items=[{"product_id": pen.pk, "quantity": 4}, OrderLine(ink.pk, 3)], notes="gift"
    )

    assert order.customer == user
    assert order.amount == Decimal("31.00")
    assert order.notes == "gift"
    assert sorted(order.items.values_list("quantity", "unit_price")) == [(3, Decimal("7.00")), (4, Decimal("2.50"))]
    assert (stock_of(pen), stock_of(ink)) == (6, 0)


def test_later_price_changes_do_not_rewrite_an_order(user: User) -> None:
    pen = ProductFactory.create(price=Decimal("2.50"))
    order = order_create(customer=user, items=[OrderLine(pen.pk, 2)])

    Product.objects.filter(pk=pen.pk).update(price=Decimal("9.99"))

    assert OrderItem.objects.get(order=order).unit_price == Decimal("2.50")


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], services.MSG_NO_ITEMS),
        ([{"product_id": "PEN", "quantity": 0}], services.MSG_BAD_QUANTITY),
        ([{"product_id": "PEN", "quantity": 1}, {"product_id": "PEN", "quantity": 2}], services.MSG_DUPLICATE_PRODUCT),
    ],
)
def test_malformed_orders_are_refused_before_touching_stock(user: User, items, message: str) -> None:
    pen = ProductFactory.create(stock=5)
    items = [{**item, "product_id": pen.pk} for item in items]

    with pytest.raises(ValidationError) as excinfo:
        order_create(customer=user, items=items)

    assert excinfo.value.message_dict == {"items": [message]}
    assert stock_of(pen) == 5


def test_insufficient_stock_writes_nothing(user: User) -> None:
    pen = ProductFactory.create(name="Pen", stock=5)
    ink = ProductFactory.create(name="Ink", stock=1)

    with pytest.raises(ValidationError) as excinfo:
        order_create(customer=user, items=[OrderLine(pen.pk, 2), OrderLine(ink.pk, 2)])

    expected = services.MSG_INSUFFICIENT_STOCK.format(name="Ink", available=1, requested=2)
    assert excinfo.value.message_dict == {"items": [expected]}
    assert (stock_of(pen), stock_of(ink)) == (5, 1)
    assert not Order.all_objects.exists()
    assert not OrderItem.objects.exists()


@pytest.mark.parametrize(
    "item",
    [
        {"quantity": 1},
        {"product_id": "not-a-uuid", "quantity": 1},
        {"product_id": None, "quantity": 1},
        {"product_id": "PRODUCT"},
        {"product_id": "PRODUCT", "quantity": "2"},
        {"product_id": "PRODUCT", "quantity": 2.5},
        {"product_id": "PRODUCT", "quantity": True},
        None,
    ],
)
def test_malformed_item_from_a_caller_without_a_serializer_is_refused(user: User, item: dict | None) -> None:
    pen = ProductFactory.create(stock=5)
    if item is not None and item.get("product_id") == "PRODUCT":
        item = {**item, "product_id": str(pen.pk)}

    with pytest.raises(ValidationError) as excinfo:
        order_create(customer=user, items=[item])  # type: ignore[list-item]

    assert excinfo.value.message_dict == {"items": [services.MSG_MALFORMED_LINE]}
    assert stock_of(pen) == 5
    assert not Order.all_objects.exists()


def test_unknown_product_is_refused(user: User) -> None:
    missing = ProductFactory.build().pk

    with pytest.raises(ValidationError) as excinfo:
        order_create(customer=user, items=[OrderLine(missing, 1)])

    assert excinfo.value.message_dict == {"items": [services.MSG_UNKNOWN_PRODUCT.format(product_id=missing)]}


def test_confirmation_is_sent_after_commit_and_only_once(user: User, django_capture_on_commit_callbacks) -> None:
    pen = ProductFactory.create()

    with django_capture_on_commit_callbacks(execute=True):
        order = order_create(customer=user, items=[OrderLine(pen.pk, 1)])
        assert mail.outbox == []
    sent_again = order_confirmation_send(order_id=order.pk)

    assert [(m.subject, m.to) for m in mail.outbox] == [(services.CONFIRMATION_SUBJECT, [user.email])]
    assert sent_again is False
    assert Order.objects.get(pk=order.pk).confirmation_sent_at is not None


def test_rolled_back_order_sends_nothing(user: User, django_capture_on_commit_callbacks) -> None:
    pen = ProductFactory.create(stock=1)

    def order_inside_a_failing_transaction() -> None:
        with transaction.atomic():
            order_create(customer=user, items=[OrderLine(pen.pk, 1)])
            raise RuntimeError("the caller fails after the service returned")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError, match="caller fails"):
        order_inside_a_failing_transaction()

    assert mail.outbox == []
    assert stock_of(pen) == 1


def test_cancel_restocks_once_and_refuses_a_second_time(user: User) -> None:
    pen = ProductFactory.create(stock=5)
    order = order_create(customer=user, items=[OrderLine(pen.pk, 3)])

    cancelled = order_cancel(order=order, cancelled_by=user)
    with pytest.raises(ValidationError) as excinfo:
        order_cancel(order=order, cancelled_by=user)

    assert cancelled.status == Order.Status.CANCELLED
    assert stock_of(pen) == 5
    assert excinfo.value.message_dict == {"status": [services.MSG_NOT_CANCELLABLE.format(status="cancelled")]}


def test_only_the_customer_or_staff_may_cancel(user: User) -> None:
    order = OrderFactory.create(customer=user)

    with pytest.raises(PermissionDenied, match=services.MSG_NOT_YOURS):
        order_cancel(order=order, cancelled_by=UserFactory.create())

    assert order_cancel(order=order, cancelled_by=UserFactory.create(is_staff=True)).status == Order.Status.CANCELLED


def test_no_confirmation_for_a_cancelled_order(user: User) -> None:
    order = OrderFactory.create(customer=user, status=Order.Status.CANCELLED)

    assert order_confirmation_send(order_id=order.pk) is False
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_for_the_last_unit_sell_it_once({% if cookiecutter.use_tenancy %}tenant: Tenant{% endif %}) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks: run with DATABASE_URL pointing at PostgreSQL")
    last_one = ProductFactory.create(stock=1)
    buyers = UserFactory.create_batch(8)
    start = threading.Barrier(len(buyers))
    outcomes: list[str] = []
{%- if cookiecutter.use_tenancy %}
    # A thread starts with no tenant: each places its order in the test's, in a transaction of its own.
    order_create = tenant_bound(services.order_create, tenant)
{%- endif %}

    def buy(customer: User) -> None:
        start.wait()
        try:
            order_create(customer=customer, items=[OrderLine(last_one.pk, 1)])
            outcomes.append("sold")
        except ValidationError as error:
            outcomes.append(error.message_dict["items"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=(buyer,)) for buyer in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    refused = services.MSG_INSUFFICIENT_STOCK.format(name=last_one.name, available=0, requested=1)
    assert sorted(outcomes) == sorted(["sold"] + [refused] * 7)
    assert stock_of(last_one) == 0
{%- if cookiecutter.use_tenancy %}
    with tenant_context(tenant):
        assert Order.objects.count() == 1
{%- else %}
    assert Order.objects.count() == 1
{%- endif %}
