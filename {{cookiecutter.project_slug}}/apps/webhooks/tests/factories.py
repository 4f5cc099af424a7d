import factory

from apps.users.tests.factories import UserFactory
from apps.webhooks.models import InboundEvent, WebhookEndpoint
from apps.webhooks.signing import secret_generate


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    owner = factory.SubFactory(UserFactory)
    url = "https://hooks.example.com/receive"
    secret = factory.LazyFunction(secret_generate)


class InboundEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundEvent

    provider = "billing"
    event_id = factory.Sequence(lambda n: f"evt_{n:05d}")
    type = "invoice.paid"
    payload = factory.LazyAttribute(lambda event: {"id": event.event_id, "type": event.type})
