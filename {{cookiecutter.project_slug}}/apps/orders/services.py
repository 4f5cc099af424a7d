"""Writes for orders: every rule about stock, prices and cancellation lives here."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, ExpressionWrapper, F, IntegerField, Value, When
from django.utils import timezone

from apps.core.transactions import on_commit_robust
from apps.orders.models import Order, OrderItem, Product
from apps.orders.tasks import order_confirmation_send_task
from apps.users.models import User
{%- if cookiecutter.use_drf and cookiecutter.use_webhooks %}
from apps.webhooks.services import webhook_event_publish
{%- endif %}

MSG_NO_ITEMS = "An order needs at least one item."
MSG_MALFORMED_LINE = "Each item needs a product_id (a UUID) and a quantity (a whole number)."
MSG_BAD_QUANTITY = "Every quantity must be at least 1."
MSG_DUPLICATE_PRODUCT = "Each product may appear only once in an order."
MSG_UNKNOWN_PRODUCT = "Unknown product: {product_id}."
MSG_INSUFFICIENT_STOCK = "Not enough stock for {name}: {available} left, {requested} requested."
MSG_NOT_CANCELLABLE = "Only pending orders can be cancelled; this one is {status}."
MSG_NOT_YOURS = "Only the customer or staff may cancel an order."
CONFIRMATION_SUBJECT = "Your order is confirmed"


@dataclass(frozen=True)
class OrderLine:
    product_id: uuid.UUID
    quantity: int


def _line(item: OrderLine | Mapping[str, Any]) -> OrderLine:
    if isinstance(item, OrderLine):
        return item
    # Tasks, commands and imports call services without a serializer in front: their
    # malformed input is refused like the API's, not raised as a KeyError or a 500.
    try:
        product_id, quantity = uuid.UUID(str(item["product_id"])), item["quantity"]
    except (KeyError, TypeError, ValueError) as error:
        raise ValidationError({"items": MSG_MALFORMED_LINE}) from error
    # int() would quietly turn 2.5 into 2 and True into 1.
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValidationError({"items": MSG_MALFORMED_LINE})
    return OrderLine(product_id, quantity)


def _lines(items: Iterable[OrderLine | Mapping[str, Any]]) -> list[OrderLine]:
    lines = [_line(item) for item in items]
    if not lines:
        raise ValidationError({"items": MSG_NO_ITEMS})
    if any(line.quantity < 1 for line in lines):
        raise ValidationError({"items": MSG_BAD_QUANTITY})
    if len({line.product_id for line in lines}) != len(lines):
        raise ValidationError({"items": MSG_DUPLICATE_PRODUCT})
    return lines


def _stock_change(lines: Iterable[OrderLine], sign: int) -> Case:
    """One UPDATE for every product: stock +/- quantity, computed by the database."""
    return Case(
        *[
            When(pk=line.product_id, then=ExpressionWrapper(F("stock") + Value(sign * line.quantity), IntegerField()))
            for line in lines
        ],
        default=F("stock"),
        output_field=IntegerField(),
    )


def order_create(*, customer: User, items: Iterable[OrderLine | Mapping[str, Any]], notes: str = "") -> Order:
    """Place an order for ``customer`` (always the caller, never an id from a request body).

    All or nothing: stock is checked and taken under row locks, so two customers
    can never buy the same last unit, and a refused order writes nothing.
    """
    lines = _lines(items)
    with transaction.atomic():
        # Lock in primary-key order: two orders for the same products always take
        # their locks in the same sequence, so they queue instead of deadlocking.
        products = {
            product.pk: product
            for product in Product.objects.select_for_update()
            .filter(pk__in=[line.product_id for line in lines])
            .order_by("pk")
            .only("id", "name", "price", "stock")
        }
        for line in lines:
            product = products.get(line.product_id)
            if product is None:
                raise ValidationError({"items": MSG_UNKNOWN_PRODUCT.format(product_id=line.product_id)})
            if product.stock < line.quantity:
                raise ValidationError(
                    {
                        "items": MSG_INSUFFICIENT_STOCK.format(
                            name=product.name, available=product.stock, requested=line.quantity
                        )
                    }
                )
        order = Order.objects.create(
            customer=customer,
            notes=notes,
            amount=sum((products[line.product_id].price * line.quantity for line in lines), start=Decimal("0.00")),
        )
        OrderItem.objects.bulk_create(
            OrderItem(
                order=order,
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price=products[line.product_id].price,
            )
            for line in lines
        )
        Product.objects.filter(pk__in=products).update(stock=_stock_change(lines, -1))
        on_commit_robust(order_confirmation_send_task.delay, order_id=str(order.pk))
    return order


def order_cancel(*, order: Order, cancelled_by: User) -> Order:
    """Cancel a pending order and put its stock back, exactly once even when raced."""
    if cancelled_by.pk != order.customer_id and not cancelled_by.is_staff:
        raise PermissionDenied(MSG_NOT_YOURS)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != Order.Status.PENDING:
            raise ValidationError({"status": MSG_NOT_CANCELLABLE.format(status=locked.get_status_display().lower())})
        lines = [OrderLine(*row) for row in locked.items.values_list("product_id", "quantity")]
        Product.objects.filter(pk__in=[line.product_id for line in lines]).update(stock=_stock_change(lines, +1))
        locked.status = Order.Status.CANCELLED
        locked.save(update_fields=["status", "updated_at"])
{%- if cookiecutter.use_drf and cookiecutter.use_webhooks %}
        # Queued on commit: a cancellation that rolls back notifies nobody.
        webhook_event_publish(owner=locked.customer, event_type="order.cancelled", payload={"id": str(locked.pk)})
{%- endif %}
    order.status = locked.status
    return locked


def order_confirmation_send(*, order_id: uuid.UUID | str) -> bool:
    """Email the confirmation once; returns False when there is nothing to send (see user_welcome_email_send)."""
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("customer")
            .filter(pk=order_id, confirmation_sent_at__isnull=True)
            .exclude(status=Order.Status.CANCELLED)
            .first()
        )
        if order is None:
            return False
        send_mail(
            subject=CONFIRMATION_SUBJECT,
            message=f"Order {order.pk}: {order.amount} in total. Thank you.",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[order.customer.email],
        )
        order.confirmation_sent_at = timezone.now()
        order.save(update_fields=["confirmation_sent_at"])
    return True
