"""The floor: the least work the stack allows for each measured endpoint (the benchmark's copy only).

`make bench` copies this module into the served project as config/bench_floor.py and
mounts it at /api/floor/ (scripts/bench/floor/__init__.py). Each view answers the
same body, byte for byte, as the project's endpoint it twins for the same data, with
no DRF and no serializer: the same JWT decoded with the same key and the user read by
id in one query, one more query with values() for the data, orjson, an HttpResponse.
Nothing here is the project's code: it is what that code is measured against.
"""

from __future__ import annotations

import base64
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import jwt
import orjson
from apps.observability.health import healthz
from apps.orders.models import Order, OrderItem, Product
from apps.orders.tasks import order_confirmation_send_task
from apps.users.models import User
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

PAGE_SIZE = 25
USER_FIELDS = ("id", "email", "full_name", "created_at")
LIST_FIELDS = ("id", "status", "amount", "placed_at", "created_at")
ITEM_FIELDS = ("id", "product_id", "product_name", "sku", "quantity", "unit_price")
SIGNING_KEY = settings.SIMPLE_JWT.get("SIGNING_KEY", settings.SECRET_KEY)
ALGORITHM = settings.SIMPLE_JWT["ALGORITHM"]


def iso(value: Any) -> str | None:
    """DRF's rendering of a datetime: the current time zone, ISO 8601, UTC as Z."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def answer(data: Any, status: int = 200) -> HttpResponse:
    response = HttpResponse(orjson.dumps(data), content_type="application/json", status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def user_id(request: HttpRequest) -> str | None:
    """The token's user: signature, expiry and type checked, as the API checks them."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Bearer "):
        return None
    try:
        claims = jwt.decode(header[7:], SIGNING_KEY, algorithms=[ALGORITHM])
    except jwt.PyJWTError:
        return None
    return claims.get("user_id") if claims.get("token_type") == "access" else None


def user_of(request: HttpRequest, *fields: str) -> dict[str, Any] | None:
    pk = user_id(request)
    if pk is None:
        return None
    return User.objects.filter(pk=pk, is_active=True).values("id", *fields).first()


def unauthorized() -> HttpResponse:
    return HttpResponse(b'{"status":401}', content_type="application/problem+json", status=401)


def me(request: HttpRequest) -> HttpResponse:
    user = user_of(request, *USER_FIELDS[1:])
    if user is None:
        return unauthorized()
    return answer(
        {
            "id": str(user["id"]),
            "email": user["email"],
            "full_name": user["full_name"],
            "created_at": iso(user["created_at"]),
        }
    )


def order_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "status": row["status"],
        "amount": str(row["amount"]),
        "item_count": row["item_count"],
        "placed_at": iso(row["placed_at"]),
        "created_at": iso(row["created_at"]),
    }


def next_link(request: HttpRequest, rows: list[dict[str, Any]]) -> str:
    """DRF's CursorPagination link past the first page (rows: the page and the row after it), for the twinned path."""
    compare = str(rows[-1]["created_at"])
    offset = 0
    for row in reversed(rows[:-1]):
        position = str(row["created_at"])
        if position != compare:
            break
        compare = position
        offset += 1
    else:
        position, offset = None, PAGE_SIZE
    tokens = {"o": str(offset)} if offset else {}
    if position is not None:
        tokens["p"] = position
    cursor = base64.b64encode(urlencode(tokens, doseq=True).encode("ascii")).decode("ascii")
    return request.build_absolute_uri("/api/v1/orders/") + "?" + urlencode({"cursor": cursor})


def orders(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if user is None:
        return unauthorized()
    if request.method == "POST":
        return order_create(request, user["id"])
    item_count = (
        OrderItem.objects.filter(order=OuterRef("pk")).order_by().values("order").annotate(n=Count("pk")).values("n")
    )
    rows = list(
        Order.objects.filter(customer_id=user["id"])
        .annotate(item_count=Coalesce(Subquery(item_count, output_field=IntegerField()), 0))
        .order_by("-created_at", "-pk")
        .values(*LIST_FIELDS, "item_count")[: PAGE_SIZE + 1]
    )
    page = rows[:PAGE_SIZE]
    body = {
        "next": next_link(request, rows) if len(rows) > PAGE_SIZE else None,
        "previous": None,
        "results": [order_row(row) for row in page],
    }
    return answer(body)


def order_body(rows: list[dict[str, Any]]) -> dict[str, Any]:
    first = rows[0]
    return {
        "id": str(first["id"]),
        "status": first["status"],
        "amount": str(first["amount"]),
        "notes": first["notes"],
        "placed_at": iso(first["placed_at"]),
        "created_at": iso(first["created_at"]),
        "items": [
            {
                "id": row["item_id"],
                "product_id": str(row["product_id"]),
                "product_name": row["product_name"],
                "sku": row["sku"],
                "quantity": row["quantity"],
                "unit_price": str(row["unit_price"]),
            }
            for row in rows
            if row["item_id"] is not None
        ],
    }


def order_rows(customer_id: Any, order_id: Any) -> list[dict[str, Any]]:
    """The order and its items with their products, one row per item, in one query."""
    return list(
        Order.objects.filter(customer_id=customer_id, pk=order_id)
        .order_by("items__id")
        .values(
            "id",
            "status",
            "amount",
            "notes",
            "placed_at",
            "created_at",
            item_id=F("items__id"),
            product_id=F("items__product_id"),
            product_name=F("items__product__name"),
            sku=F("items__product__sku"),
            quantity=F("items__quantity"),
            unit_price=F("items__unit_price"),
        )
    )


def order(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = user_of(request)
    if user is None:
        return unauthorized()
    rows = order_rows(user["id"], pk)
    if not rows:
        return HttpResponse(b'{"status":404}', content_type="application/problem+json", status=404)
    return answer(order_body(rows))


def order_create(request: HttpRequest, customer_id: Any) -> HttpResponse:
    """Validate just enough, then write what the project's order_create writes: stock under row locks."""
    try:
        lines = [
            (uuid.UUID(line["product_id"]), int(line["quantity"])) for line in orjson.loads(request.body)["items"]
        ]
    except (ValueError, KeyError, TypeError):
        return HttpResponse(b'{"status":400}', content_type="application/problem+json", status=400)
    with transaction.atomic():
        products = {
            row["id"]: row
            for row in Product.objects.select_for_update()
            .filter(pk__in=[pk for pk, _ in lines])
            .order_by("pk")
            .values("id", "price", "stock")
        }
        if len(products) != len({pk for pk, _ in lines}) or any(products[pk]["stock"] < n for pk, n in lines):
            return HttpResponse(b'{"status":400}', content_type="application/problem+json", status=400)
        created = Order.objects.create(
            customer_id=customer_id, amount=sum((products[pk]["price"] * n for pk, n in lines), start=Decimal("0.00"))
        )
        OrderItem.objects.bulk_create(
            OrderItem(order=created, product_id=pk, quantity=n, unit_price=products[pk]["price"]) for pk, n in lines
        )
        for pk, n in lines:
            Product.objects.filter(pk=pk).update(stock=F("stock") - n)
        transaction.on_commit(lambda: order_confirmation_send_task.delay(order_id=str(created.pk)))
    return answer(order_body(order_rows(customer_id, created.pk)), status=201)


urlpatterns = [
    path("api/floor/users/me/", me),
    path("api/floor/orders/", csrf_exempt(orders)),
    path("api/floor/orders/<uuid:pk>/", order),
    # The project's own view, reached with no middleware at all (floor_wsgi.py): the difference is the middleware's.
    path("floor/healthz", healthz),
]
