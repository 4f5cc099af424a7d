"""Database queries per request, counted in-process inside the served project.

Run inside the project (tests.harness.live.ProjectRunner.script) as
`query_counts.py MARKER PASSWORD ROWS...`: for each ROWS, a new customer with that
many orders; each request is made once to warm caches and once inside
CaptureQueriesContext. Prints MARKER and the counts as JSON on one line (production
settings log to stdout as well).
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from decimal import Decimal

from apps.orders.models import Order, OrderItem, Product
from apps.users.services import user_create
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken


def customer_with_orders(*, rows: int, password: str, product: Product) -> tuple[object, list[Order]]:
    with transaction.atomic():
        user = user_create(email=f"queries-{rows}@example.com", password=password)
        now = timezone.now()
        orders = Order.objects.bulk_create(
            Order(customer=user, amount=Decimal("19.98"), created_at=now - timedelta(minutes=n), notes="seed")
            for n in range(rows)
        )
        OrderItem.objects.bulk_create(
            OrderItem(order=order, product=product, quantity=2, unit_price=Decimal("9.99")) for order in orders
        )
    return user, orders


def query_counts(*, rows: int, password: str) -> dict[str, dict]:
    product = Product.objects.order_by("sku").first()
    body = json.dumps({"items": [{"product_id": str(product.pk), "quantity": 1}]})
    user, orders = customer_with_orders(rows=rows, password=password, product=product)
    # What the TLS-terminating proxy forwards, as in tests.harness.served.PROXY_HEADERS.
    client = Client(
        HTTP_HOST="example.com",
        SERVER_NAME="example.com",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}",
    )
    requests = {
        "healthz": ("get", "/healthz"),
        "users_me": ("get", "/api/v1/users/me/"),
        "order_list": ("get", "/api/v1/orders/"),
        "order_detail": ("get", f"/api/v1/orders/{orders[0].pk}/"),
        "order_create": ("post", "/api/v1/orders/"),
    }
    counts = {}
    for name, (method, path) in requests.items():

        def call(method: str = method, path: str = path):
            if method == "post":
                return client.post(path, data=body, content_type="application/json", secure=True)
            return client.get(path, secure=True)

        call()
        with CaptureQueriesContext(connection) as captured:
            response = call()
        counts[name] = {
            "status": response.status_code,
            "queries": len(captured),
            "sql": [query["sql"] for query in captured],
        }
    return counts


if __name__ == "__main__":
    marker, password, *rows = sys.argv[1:]
    results = {str(n): query_counts(rows=int(n), password=password) for n in rows}
    print(marker + json.dumps(results))
