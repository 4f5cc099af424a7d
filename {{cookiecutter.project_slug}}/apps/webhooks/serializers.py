from rest_framework import serializers

from apps.webhooks.models import WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint as listed: never its secret."""

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "active", "failure_count", "created_at"]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(serializers.ModelSerializer):
    """The answer that creates an endpoint: the one time its secret is shown."""

    class Meta:
        model = WebhookEndpoint
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000)


class WebhookReceiptSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The event id, from the webhook-id header or the body.")
    duplicate = serializers.BooleanField(help_text="True when this event was received before: nothing more is done.")
