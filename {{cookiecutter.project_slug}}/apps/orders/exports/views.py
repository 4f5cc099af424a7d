"""HTTP in, service or selector call, HTTP out. An export is only ever its owner's."""

from typing import cast

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.orders.exports.models import OrderExport
from apps.orders.exports.selectors import order_export_get
from apps.orders.exports.serializers import OrderExportSerializer
from apps.orders.exports.services import order_export_create
{%- if cookiecutter.use_tenancy %}
from apps.tenancy.api import TenantScopedViewMixin
{%- endif %}
from apps.users.models import User


class OrderExportViewSet({% if cookiecutter.use_tenancy %}TenantScopedViewMixin, {% endif %}viewsets.GenericViewSet):
    serializer_class = OrderExportSerializer
    queryset = OrderExport.objects.none()  # for schema generation; requests use the selector

    @property
    def owner(self) -> User:
        return cast(User, self.request.user)

    @extend_schema(request=None, responses={202: OrderExportSerializer})
    def create(self, request: Request) -> Response:
        export = order_export_create(owner=self.owner)
        # Accepted, not done: the file is built in the background; poll the export for its link.
        export = order_export_get(owner=self.owner, export_id=export.pk) or export
        return Response(OrderExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: OrderExportSerializer})
    def retrieve(self, request: Request, pk: str) -> Response:
        export = order_export_get(owner=self.owner, export_id=pk)
        if export is None:
            raise Http404
        return Response(OrderExportSerializer(export).data)
