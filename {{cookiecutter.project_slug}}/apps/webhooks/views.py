"""HTTP in, service or selector call, HTTP out."""

from typing import cast

from django.conf import settings
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.exceptions import RequestTooLarge
from apps.users.models import User
from apps.webhooks.errors import SignatureError, SignatureMissing
from apps.webhooks.models import WebhookEndpoint
from apps.webhooks.selectors import webhook_endpoint_get, webhook_endpoint_list
from apps.webhooks.serializers import (
    WebhookEndpointCreatedSerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookReceiptSerializer,
)
from apps.webhooks.services import (
    inbound_event_receive,
    inbound_signature_verify,
    webhook_endpoint_create,
    webhook_endpoint_delete,
)


class InvalidSignature(exceptions.APIException):
    # Not AuthenticationFailed: DRF turns that into a 403 on a view without authentication classes.
    status_code = 401
    default_detail = "The signature does not match the body, or its timestamp is too old."
    default_code = "invalid_signature"


SIGNATURE_HEADERS = [
    OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.HEADER, description=description)
    for name, description in (
        ("webhook-id", "Standard Webhooks: the event id"),
        ("webhook-timestamp", "Standard Webhooks: seconds since the epoch"),
        ("webhook-signature", "Standard Webhooks: v1,<base64 HMAC-SHA256>, space-separated"),
        ("Stripe-Signature", "Stripe's scheme: t=<timestamp>,v1=<hex HMAC-SHA256>"),
    )
]


# The configured providers, so that a client of the schema (and a fuzzer) finds the URLs that exist.
PROVIDER = OpenApiParameter(
    "provider",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=sorted(settings.WEBHOOK_PROVIDERS) or None,
    description="A provider named in DJANGO_WEBHOOK_PROVIDERS",
)


class WebhookReceiveView(APIView):
    """One provider's deliveries: verified over the raw body, stored once, processed by a task."""

    # The signature is the credential. Providers send bursts from few addresses, which the
    # anonymous rate limit would turn into dropped events; the body cap bounds the work per request.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="webhooks_receive",
        request=OpenApiTypes.OBJECT,
        parameters=[PROVIDER, *SIGNATURE_HEADERS],
        responses={202: WebhookReceiptSerializer, 200: WebhookReceiptSerializer},
        auth=[],
    )
    def post(self, request: Request, provider: str) -> Response:
        config = settings.WEBHOOK_PROVIDERS.get(provider)
        if config is None:
            raise Http404
        limit = settings.WEBHOOK_MAX_BODY_BYTES
        declared = request.headers.get("content-length") or "0"
        if declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge
        body = request.body
        if len(body) > limit:
            raise RequestTooLarge
        try:
            header_event_id = inbound_signature_verify(provider=config, headers=request.headers, body=body)
        except SignatureMissing as error:
            raise exceptions.ValidationError({"headers": str(error)}) from error
        except SignatureError as error:
            raise InvalidSignature(str(error)) from error
        # Parsed only once the signature holds, by the API's own JSON parser (request.data).
        event, created = inbound_event_receive(provider=provider, payload=request.data, event_id=header_event_id)
        receipt = WebhookReceiptSerializer({"id": event.event_id, "duplicate": not created}).data
        return Response(receipt, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


class WebhookEndpointViewSet(viewsets.GenericViewSet):
    """The requesting user's own endpoints: create (the secret is shown once), list, delete."""

    serializer_class = WebhookEndpointSerializer
    queryset = WebhookEndpoint.objects.none()  # for schema generation; requests use the selectors

    @property
    def owner(self) -> User:
        return cast(User, self.request.user)

    @extend_schema(responses={200: WebhookEndpointSerializer(many=True)})
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(webhook_endpoint_list(owner=self.owner))
        return self.get_paginated_response(WebhookEndpointSerializer(page, many=True).data)

    @extend_schema(request=WebhookEndpointCreateSerializer, responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request: Request) -> Response:
        serializer = WebhookEndpointCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_create(owner=self.owner, **serializer.validated_data)
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        endpoint = webhook_endpoint_get(owner=self.owner, endpoint_id=pk)
        if endpoint is None:
            raise Http404
        webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)
