from django.contrib import admin
from django.http import HttpRequest

from apps.orders.models import Order, OrderItem, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "sku", "price", "price_with_tax", "stock")
    search_fields = ("name", "sku")


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    readonly_fields = ("product", "quantity", "unit_price")
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "customer", "status", "amount", "created_at")
    list_filter = ("status",)
    list_select_related = ("customer",)
    search_fields = ("id", "customer__email")
    readonly_fields = ("customer", "amount", "placed_at", "confirmation_sent_at", "created_at", "updated_at")
    inlines = [OrderItemInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Orders are created through order_create (stock, prices, atomicity), not by hand.
        return False
