from decimal import Decimal
{%- if cookiecutter.use_tenancy %}
from typing import ClassVar
{%- endif %}

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Now, Round

from apps.core.models import SoftDeleteModel, TimeStampedModel, UUIDModel
{%- if cookiecutter.use_tenancy %}
from apps.tenancy.models import TenantOwnedModel, TenantSoftDeleteManager
{%- endif %}


class Product(UUIDModel, TimeStampedModel):
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, unique=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    # db_default: rows inserted by SQL, imports or other services get the same default.
    tax_rate = models.DecimalField(
        max_digits=4, decimal_places=3, default=Decimal("0.200"), db_default=Decimal("0.200")
    )
    stock = models.PositiveIntegerField(default=0)
    # Computed and stored by the database, so reports can filter and sort on it.
    price_with_tax = models.GeneratedField(
        expression=Round(F("price") * (Value(Decimal("1")) + F("tax_rate")), 2),
        output_field=models.DecimalField(max_digits=12, decimal_places=2),
        db_persist=True,
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="orders_product_price_positive"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0), name="orders_product_tax_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Order(UUIDModel, TimeStampedModel, SoftDeleteModel{% if cookiecutter.use_tenancy %}, TenantOwnedModel{% endif %}):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    notes = models.TextField(blank=True, max_length=1000)
    placed_at = models.DateTimeField(db_default=Now(), editable=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
{%- if cookiecutter.use_tenancy %}

    # The current tenant's live orders (all_objects and unscoped see past one or the other).
    objects: ClassVar[TenantSoftDeleteManager] = TenantSoftDeleteManager()
{%- endif %}

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list endpoint: one customer's orders, newest first, in cursor order.
            models.Index(fields=["customer", "-created_at", "-id"], name="orders_customer_recent_idx"),
            # Back-office filters by status over a time range.
            models.Index(fields=["status", "created_at"], name="orders_status_created_idx"),
            # Only pending orders are looked up per customer often; index only those rows.
            models.Index(fields=["customer"], condition=Q(status="pending"), name="orders_pending_customer_idx"),
            # Revenue reports read amount and date by status without touching the table (PostgreSQL).
            models.Index(fields=["status"], include=["amount", "created_at"], name="orders_status_covering_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="orders_order_amount_non_negative"),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.status})"


class OrderItem(UUIDModel{% if cookiecutter.use_tenancy %}, TenantOwnedModel{% endif %}):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    # The price when ordered: later price changes do not rewrite history.
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="orders_item_unique_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity
