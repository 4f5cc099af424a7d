"""Seed a served project through its own code: users with orders over a catalogue of 20 products.

Run inside the project (tests.harness.live.ProjectRunner.script) as
`seed.py ORDERS_PER_USER PASSWORD EMAIL...`; prints the products' ids, ordered by SKU.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal

from apps.orders.models import Order, OrderItem, Product
from apps.users.services import user_create
from django.db import transaction
from django.utils import timezone

PRODUCTS = 20
# bulk_create in slices: one statement for 10,000 orders would hold them all in memory twice.
BATCH = 5000


def seed(*, orders_per_user: int, password: str, emails: list[str]) -> list[str]:
    with transaction.atomic():
        users = [user_create(email=email, password=password) for email in emails]
        products = Product.objects.bulk_create(
            Product(name=f"Product {n}", sku=f"SKU-{n:05d}", price=Decimal("9.99") + n, stock=1_000_000)
            for n in range(PRODUCTS)
        )
        now = timezone.now()
        for user in users:
            for start in range(0, orders_per_user, BATCH):
                batch = Order.objects.bulk_create(
                    Order(customer=user, amount=Decimal("19.98"), created_at=now - timedelta(minutes=n), notes="seed")
                    for n in range(start, min(start + BATCH, orders_per_user))
                )
                OrderItem.objects.bulk_create(
                    OrderItem(order=order, product=products[i % PRODUCTS], quantity=2, unit_price=Decimal("9.99"))
                    for i, order in enumerate(batch)
                )
    return [str(pk) for pk in Product.objects.order_by("sku").values_list("id", flat=True)]


if __name__ == "__main__":
    orders, password, *emails = sys.argv[1:]
    print(*seed(orders_per_user=int(orders), password=password, emails=emails))
