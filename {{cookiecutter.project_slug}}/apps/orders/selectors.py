"""Reads for orders. Every function is scoped to one customer: no selector returns other people's orders."""

import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Avg,
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth

from apps.orders.models import Order, OrderItem
from apps.users.models import User

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))
PAID = Q(status=Order.Status.PAID)
# A row of the order list as the API shows it (serializers.OrderListSerializer documents it).
ORDER_LIST_FIELDS = ("id", "status", "amount", "item_count", "placed_at", "created_at")
# An order and its lines as the API shows them (serializers.OrderDetailSerializer documents them).
ORDER_DETAIL_FIELDS = ("id", "status", "amount", "notes", "placed_at", "created_at")
ORDER_ITEM_COLUMNS = {
    "id": "items__id",
    "product_id": "items__product_id",
    "product_name": "items__product__name",
    "sku": "items__product__sku",
    "quantity": "items__quantity",
    "unit_price": "items__unit_price",
}


def order_list(*, customer: User) -> QuerySet[Order, dict[str, Any]]:
    """The customer's orders with their item count, as dicts: one query, whatever the page size.

    Dicts rather than instances: the list shows the columns as they are, and building
    a model instance per row cost more than the rest of the page's Python together.

    The count is a subquery per row rather than a JOIN and GROUP BY: grouping makes
    PostgreSQL count the items of every order the customer ever placed before the
    page's LIMIT applies, so a page would cost more as the history grows. This way
    the (customer, -created_at, -id) index serves the page and only its rows are counted.
    """
    item_count = (
        OrderItem.objects.filter(order=OuterRef("pk")).order_by().values("order").annotate(n=Count("pk")).values("n")
    )
    return (
        Order.objects.filter(customer=customer)
        .annotate(item_count=Coalesce(Subquery(item_count, output_field=IntegerField()), 0))
        .values(*ORDER_LIST_FIELDS)
    )


def order_get(*, customer: User, order_id: uuid.UUID | str) -> Order | None:
    """One order with its items and their products in two queries; None if it is not the customer's."""
    items = OrderItem.objects.select_related("product").only(
        "id", "order_id", "quantity", "unit_price", "product__id", "product__name", "product__sku"
    )
    try:
        return (
            Order.objects.filter(customer=customer, pk=order_id)
            .prefetch_related(Prefetch("items", queryset=items))
            .first()
        )
    except ValidationError:  # not a UUID at all
        return None


def order_detail(*, customer: User, order_id: uuid.UUID | str) -> dict[str, Any] | None:
    """One order with its items and their products, as dicts, in one query; None if it is not the customer's.

    One row per item (LEFT JOIN: an order without items is one row of NULLs): as many rows
    as the order has lines, at most serializers.MAX_ITEMS, whatever the customer's history.
    """
    items = {f"item_{key}": F(column) for key, column in ORDER_ITEM_COLUMNS.items()}
    try:
        rows = list(
            Order.objects.filter(customer=customer, pk=order_id)
            .order_by("items__id")
            .values(*ORDER_DETAIL_FIELDS, **items)
        )
    except ValidationError:  # not a UUID at all
        return None
    if not rows:
        return None
    order: dict[str, Any] = {field: rows[0][field] for field in ORDER_DETAIL_FIELDS}
    order["items"] = [
        {key: row[f"item_{key}"] for key in ORDER_ITEM_COLUMNS} for row in rows if row["item_id"] is not None
    ]
    return order


def order_summary(*, customer: User) -> dict[str, Any]:
    """Counts per status and paid revenue, in one aggregate query."""
    summary = Order.objects.filter(customer=customer).aggregate(
        total=Count("id"),
        pending=Count("id", filter=Q(status=Order.Status.PENDING)),
        paid=Count("id", filter=PAID),
        cancelled=Count("id", filter=Q(status=Order.Status.CANCELLED)),
        paid_revenue=Coalesce(Sum("amount", filter=PAID), ZERO),
        average_paid_order=Coalesce(Avg("amount", filter=PAID), ZERO),
    )
    summary["average_paid_order"] = Decimal(summary["average_paid_order"]).quantize(Decimal("0.01"))
    return summary


def order_revenue_by_month(*, customer: User) -> list[dict[str, Any]]:
    """Paid revenue per calendar month (in the project's time zone), oldest first."""
    return list(
        Order.objects.filter(PAID, customer=customer)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(revenue=Sum("amount"), orders=Count("id"))
        .order_by("month")
    )
