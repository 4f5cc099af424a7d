from typing import cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.orders.models import Order, OrderItem, Product
from apps.orders.services import order_cancel
{%- if cookiecutter.use_tenancy %}
from apps.tenancy.admin import TenantOwnedAdmin
{%- endif %}
from apps.users.models import User

MSG_ORDERS_CANCELLED = "Orders cancelled: {count}."
MSG_ORDER_NOT_CANCELLED = "Order {order_id} was not cancelled: {reason}"


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "sku", "price", "price_with_tax", "stock")
    search_fields = ("name", "sku")


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    readonly_fields = ("product", "quantity", "unit_price")
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderItem]:
        # The read-only product column would otherwise load each product with its own query.
        return super().get_queryset(request).select_related("product")


@admin.register(Order)
class OrderAdmin({% if cookiecutter.use_tenancy %}TenantOwnedAdmin{% else %}admin.ModelAdmin{% endif %}):
    list_display = ("id", "customer", "status", "amount", "created_at")
    list_filter = ("status",)
    list_select_related = ("customer",)
    search_fields = ("id", "customer__email")
    # Status changes only through services: order_cancel puts the stock back, a saved form would not.
    readonly_fields = (
        "customer",
        "status",
        "amount",
        "placed_at",
        "confirmation_sent_at",
        "created_at",
        "updated_at",
    )
    inlines = [OrderItemInline]
    actions = ["order_cancel_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Orders are created through order_create (stock, prices, atomicity), not by hand.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        # Deleting would drop a pending order's items without putting their stock back: cancel instead.
        return False

    @admin.action(description="Cancel selected orders", permissions=["change"])
    def order_cancel_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        # The admin site only lets in authenticated staff, so this is always a real User.
        staff = cast(User, request.user)
        cancelled = 0
        # One service call per order: each has its own transaction, so one refusal keeps the others.
        for order in queryset:
            try:
                order_cancel(order=order, cancelled_by=staff)
            except (ValidationError, PermissionDenied) as error:
                reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                self.message_user(
                    request, MSG_ORDER_NOT_CANCELLED.format(order_id=order.pk, reason=reason), messages.ERROR
                )
            else:
                cancelled += 1
        if cancelled:
            self.message_user(request, MSG_ORDERS_CANCELLED.format(count=cancelled), messages.SUCCESS)
