from rest_framework import serializers

from apps.api.fields import StrictIntegerField
from apps.orders.models import Order, OrderItem

MAX_ITEMS = 50


class OrderListSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Order
        fields = ["id", "status", "amount", "item_count", "placed_at", "created_at"]
        read_only_fields = fields


class OrderItemSerializer(serializers.ModelSerializer):
    product_id = serializers.UUIDField(source="product.id", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = OrderItem
        fields = ["id", "product_id", "product_name", "sku", "quantity", "unit_price"]
        read_only_fields = fields


class OrderDetailSerializer(serializers.ModelSerializer):
    items = OrderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "status", "amount", "notes", "placed_at", "created_at", "items"]
        read_only_fields = fields


class OrderLineInputSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    quantity = StrictIntegerField(min_value=1, max_value=10_000)


class OrderCreateSerializer(serializers.Serializer):
    """No customer field: the order always belongs to the requesting user."""

    items = serializers.ListField(child=OrderLineInputSerializer(), min_length=1, max_length=MAX_ITEMS)
    notes = serializers.CharField(required=False, default="", allow_blank=True, max_length=1000)


class OrderSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    paid = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    paid_revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    average_paid_order = serializers.DecimalField(max_digits=14, decimal_places=2)


class MonthlyRevenueSerializer(serializers.Serializer):
    month = serializers.DateTimeField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    orders = serializers.IntegerField()
