"""HTTP in, service or selector call, HTTP out. Every queryset is the requesting user's own."""

from typing import Any, cast

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.orders.models import Order
from apps.orders.selectors import order_detail, order_get, order_list, order_revenue_by_month, order_summary
from apps.orders.serializers import (
    MonthlyRevenueSerializer,
    OrderCreateSerializer,
    OrderDetailSerializer,
    OrderListSerializer,
    OrderSummarySerializer,
)
from apps.orders.services import order_cancel, order_create
{%- if cookiecutter.use_tenancy %}
from apps.tenancy.api import TenantScopedViewMixin
{%- endif %}
from apps.users.models import User


class OrderViewSet({% if cookiecutter.use_tenancy %}TenantScopedViewMixin, {% endif %}viewsets.GenericViewSet):
    serializer_class = OrderDetailSerializer
    queryset = Order.objects.none()  # for schema generation; requests use the selectors

    @property
    def customer(self) -> User:
        # IsAuthenticated (the default permission) guarantees a real User here.
        return cast(User, self.request.user)

    def get_order(self, pk: str) -> Order:
        order = order_get(customer=self.customer, order_id=pk)
        if order is None:
            raise Http404
        return order

    def order_body(self, pk: str) -> dict[str, Any]:
        # Rows as the selector reads them (the renderer writes decimals and times as the
        # serializer fields would); OrderDetailSerializer documents them.
        order = order_detail(customer=self.customer, order_id=pk)
        if order is None:
            raise Http404
        return order

    # The rows go out as the selector reads them (the renderer writes decimals and times as
    # the serializer fields would); OrderListSerializer documents them.
    @extend_schema(responses={200: OrderListSerializer(many=True)})
    def list(self, request: Request) -> Response:
        return self.get_paginated_response(self.paginate_queryset(order_list(customer=self.customer)))

    @extend_schema(responses={200: OrderDetailSerializer})
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.order_body(pk))

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderDetailSerializer})
    def create(self, request: Request) -> Response:
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = order_create(customer=self.customer, **serializer.validated_data)
        return Response(self.order_body(str(order.pk)), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: OrderDetailSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        order_cancel(order=self.get_order(pk), cancelled_by=self.customer)
        return Response(self.order_body(pk))

    @extend_schema(responses={200: OrderSummarySerializer})
    @action(detail=False, methods=["get"])
    def summary(self, request: Request) -> Response:
        return Response(OrderSummarySerializer(order_summary(customer=self.customer)).data)

    @extend_schema(responses={200: MonthlyRevenueSerializer(many=True)})
    # Not paginated (one row per month); saying so keeps cursor parameters and a page wrapper out of the schema.
    @action(detail=False, methods=["get"], pagination_class=None)
    def revenue(self, request: Request) -> Response:
        return Response(MonthlyRevenueSerializer(order_revenue_by_month(customer=self.customer), many=True).data)
