"""Whether the orders placed through the API were written whole (the fault tests' last check).

Run inside the project (tests.harness.live.ProjectRunner.script); prints three lines:
orders without items, products whose stock does not match what the orders took
(seeded at 1,000,000 each), and the ids of every order not made by the seed.
"""

from __future__ import annotations

from apps.orders.models import Order, OrderItem, Product
from django.db.models import Count, Sum

SEEDED_STOCK = 1_000_000

if __name__ == "__main__":
    placed = Order.objects.exclude(notes="seed")
    print(placed.annotate(n=Count("items")).filter(n=0).count())
    taken = dict(OrderItem.objects.filter(order__in=placed).values_list("product").annotate(q=Sum("quantity")))
    print(sum(1 for p in Product.objects.all() if p.stock + taken.get(p.pk, 0) != SEEDED_STOCK))
    print(",".join(str(pk) for pk in placed.values_list("pk", flat=True)))
