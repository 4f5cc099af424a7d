from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Model
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from apps.api.exceptions import PROBLEM_CONTENT_TYPE
from apps.api.middleware import PRIVATE_NO_STORE
from apps.orders import services
from apps.orders.models import Order, Product
from apps.orders.selectors import order_get
from apps.orders.serializers import OrderDetailSerializer, OrderListSerializer
from apps.orders.tests.factories import OrderFactory, OrderItemFactory, ProductFactory
from apps.users.models import User
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


@pytest.fixture
def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def queries_for(api: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    return len(queries)


def test_create_list_and_detail(api: APIClient, user: User) -> None:
    pen = ProductFactory.create(price=Decimal("2.50"), stock=10)

    created = api.post(ORDERS, {"items": [{"product_id": str(pen.pk), "quantity": 2}], "notes": "fast please"})

    assert created.status_code == 201
    body = created.json()
    assert body["amount"] == "5.00"
    assert body["status"] == "pending"
    assert body["items"][0]["product_name"] == pen.name
    listed = api.get(ORDERS).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert listed["results"][0]["item_count"] == 1
    assert api.get(f"{ORDERS}{body['id']}/").json() == body


def test_the_list_answers_what_its_documented_serializer_would_without_building_orders(
    api: APIClient, user: User, settings
) -> None:
    settings.TIME_ZONE = "Europe/Oslo"  # the serializer shows times in the current zone; rows are read in UTC
    for order in OrderFactory.create_batch(3, customer=user, amount=Decimal("7.50")):
        OrderItemFactory.create_batch(2, order=order)
    OrderFactory.create(customer=user)
    rows = Order.objects.filter(customer=user).annotate(item_count=Count("items")).order_by("-created_at", "-pk")
    documented = OrderListSerializer(rows, many=True).data
    built: list[Order] = []
    post_init.connect(lambda instance, **kwargs: built.append(instance), sender=Order, weak=False, dispatch_uid=ORDERS)
    try:
        response = api.get(ORDERS)
    finally:
        post_init.disconnect(sender=Order, dispatch_uid=ORDERS)

    assert response.content == JSONRenderer().render({"next": None, "previous": None, "results": documented})
    assert built == []


def test_an_order_answers_what_its_documented_serializer_would_in_one_query_without_building_rows(
    api: APIClient, user: User, settings
) -> None:
    settings.TIME_ZONE = "Europe/Oslo"
    order = OrderFactory.create(customer=user, notes="ring twice")
    OrderItemFactory.create_batch(3, order=order)
    empty = OrderFactory.create(customer=user)
    for found in (order, empty):
        documented = OrderDetailSerializer(order_get(customer=user, order_id=found.pk)).data
        built: list[Model] = []
        post_init.connect(lambda instance, **kwargs: built.append(instance), weak=False, dispatch_uid=ORDERS)  # noqa: B023
        try:
            with CaptureQueriesContext(connection) as queries:
                response = api.get(f"{ORDERS}{found.pk}/")
        finally:
            post_init.disconnect(dispatch_uid=ORDERS)

        assert response.content == JSONRenderer().render(documented)
        # The order with its lines, their products joined: one read of the orders' tables.
        assert len([query for query in queries.captured_queries if '"orders_' in query["sql"]]) == 1
        assert [row for row in built if row._meta.app_label == "orders"] == []


def test_the_order_always_belongs_to_the_requester(api: APIClient, user: User) -> None:
    victim = UserFactory.create()
    pen = ProductFactory.create()

    response = api.post(
        ORDERS,
        {
            "customer": str(victim.pk),
            "customer_id": str(victim.pk),
            "items": [{"product_id": str(pen.pk), "quantity": 1}],
        },
    )

    assert response.status_code == 201
    assert Order.objects.get(pk=response.json()["id"]).customer == user
    assert not victim.orders.exists()


def test_insufficient_stock_is_a_400_problem_and_nothing_changes(api: APIClient) -> None:
    pen = ProductFactory.create(name="Pen", stock=1)

    response = api.post(ORDERS, {"items": [{"product_id": str(pen.pk), "quantity": 2}]})

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert response.json()["errors"] == [
        {
            "field": "items",
            "message": services.MSG_INSUFFICIENT_STOCK.format(name="Pen", available=1, requested=2),
            "code": "invalid",
        }
    ]
    assert Product.objects.get(pk=pen.pk).stock == 1
    assert not Order.objects.exists()


def test_malformed_input_is_refused_per_field(api: APIClient) -> None:
    response = api.post(ORDERS, {"items": [{"product_id": "nope", "quantity": 0}]})

    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"items.0.product_id", "items.0.quantity"}


@pytest.mark.parametrize("quantity", ["\u0663", "\uff11"], ids=["arabic-indic-3", "fullwidth-1"])
def test_a_quantity_in_other_digits_is_refused(api: APIClient, quantity: str) -> None:
    pen = ProductFactory.create(stock=10)

    response = api.post(ORDERS, {"items": [{"product_id": str(pen.pk), "quantity": quantity}]})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "items.0.quantity", "message": "A valid integer is required.", "code": "invalid"}
    ]
    assert not Order.objects.exists()


@pytest.mark.parametrize("quantity", [3, "3"])
def test_a_quantity_in_ascii_digits_is_taken(api: APIClient, quantity: int | str) -> None:
    pen = ProductFactory.create(stock=10)

    response = api.post(ORDERS, {"items": [{"product_id": str(pen.pk), "quantity": quantity}]})

    assert response.status_code == 201
    assert response.json()["items"][0]["quantity"] == 3


def test_orders_are_private_and_not_stored(api: APIClient, user: User) -> None:
    order = OrderFactory.create(customer=user)

    for url in (ORDERS, f"{ORDERS}{order.pk}/"):
        assert api.get(url)["Cache-Control"] == PRIVATE_NO_STORE


def test_another_users_order_is_404_everywhere(api: APIClient) -> None:
    theirs = OrderFactory.create()

    assert api.get(f"{ORDERS}{theirs.pk}/").status_code == 404
    assert api.post(f"{ORDERS}{theirs.pk}/cancel/").status_code == 404
    assert api.get(ORDERS).json()["results"] == []
    assert Order.objects.get(pk=theirs.pk).status == Order.Status.PENDING


def test_cancel_and_cancel_again(api: APIClient, user: User) -> None:
    order = OrderFactory.create(customer=user)

    first = api.post(f"{ORDERS}{order.pk}/cancel/")
    second = api.post(f"{ORDERS}{order.pk}/cancel/")

    assert first.status_code == 200
    assert first.json()["status"] == "cancelled"
    assert second.status_code == 400
    assert second.json()["errors"][0]["field"] == "status"


def test_summary_and_revenue(api: APIClient, user: User) -> None:
    OrderFactory.create(
        customer=user, status=Order.Status.PAID, amount=Decimal("12.00"), created_at=datetime(2026, 2, 1, tzinfo=UTC)
    )

    summary = api.get(f"{ORDERS}summary/").json()
    revenue = api.get(f"{ORDERS}revenue/").json()

    assert summary["paid"] == 1
    assert summary["paid_revenue"] == "12.00"
    assert [(row["revenue"], row["orders"]) for row in revenue] == [("12.00", 1)]


def test_revenue_is_documented_as_the_plain_list_it_returns() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)

    revenue = schema["paths"][f"{ORDERS}revenue/"]["get"]
    assert revenue["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert [parameter["name"] for parameter in revenue.get("parameters", [])] == []


def test_anonymous_is_401(user: User) -> None:
    response = APIClient().get(ORDERS)

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE


def test_list_and_detail_query_counts_do_not_grow_with_data(api: APIClient, user: User) -> None:
    order = OrderFactory.create(customer=user)
    OrderItemFactory.create(order=order)
    few_list, few_detail = queries_for(api, ORDERS), queries_for(api, f"{ORDERS}{order.pk}/")

    for extra in OrderFactory.create_batch(49, customer=user):
        OrderItemFactory.create_batch(2, order=extra)
    OrderItemFactory.create_batch(20, order=order)

    assert queries_for(api, ORDERS) == few_list
    assert queries_for(api, f"{ORDERS}{order.pk}/") == few_detail


def test_cursor_pages_never_skip_or_repeat_rows_created_in_the_same_instant(api: APIClient, user: User) -> None:
    instant = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    expected = {str(order.pk) for order in OrderFactory.create_batch(30, customer=user, created_at=instant)}

    seen: list[str] = []
    url: str | None = f"{ORDERS}?page_size=7"
    while url:
        page = api.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]

    assert len(seen) == 30
    assert set(seen) == expected
