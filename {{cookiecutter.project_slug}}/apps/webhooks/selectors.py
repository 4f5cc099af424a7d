import uuid

from django.db.models import QuerySet

from apps.users.models import User
from apps.webhooks.models import WebhookEndpoint


def webhook_endpoint_list(*, owner: User) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=owner)


def webhook_endpoint_get(*, owner: User, endpoint_id: uuid.UUID | str) -> WebhookEndpoint | None:
    try:
        return webhook_endpoint_list(owner=owner).filter(pk=uuid.UUID(str(endpoint_id))).first()
    except ValueError:  # not a UUID: no such endpoint
        return None


def webhook_endpoint_active_list(*, owner: User) -> QuerySet[WebhookEndpoint]:
    return webhook_endpoint_list(owner=owner).filter(active=True)
