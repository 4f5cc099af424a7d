from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel, UUIDModel


class InboundEvent(models.Model):
    """One event a provider sent us, stored before any work is done on it.

    The unique (provider, event_id) constraint is what makes a redelivery, or two copies
    arriving at once, do nothing twice: the second insert fails, and only the request that
    inserted the row enqueues the work.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (no handler)"
        FAILED = "failed", "Failed"

    provider = models.CharField(max_length=64)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=255, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhooks_inbound_event_once"),
        ]
        indexes = [
            # The admin's "what failed" view.
            models.Index(fields=["status"], condition=Q(status="failed"), name="webhooks_inbound_failed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} ({self.status})"


class WebhookEndpoint(UUIDModel, TimeStampedModel):
    """A customer's URL that receives the events of what they own, signed with its own secret."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    # Kept as given: signing needs the secret itself, so it cannot be hashed like a password.
    # The API shows it once, in the answer that creates the endpoint.
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(default=True)
    # Failed attempts in a row; a success resets it, WEBHOOK_DISABLE_AFTER_FAILURES disables the endpoint.
    failure_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at", "-id"], name="webhooks_endpoint_owner_idx")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One attempt to deliver one event to one endpoint: the log customers' support reads."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The webhook-id header: the same for every attempt of one event, so receivers can deduplicate.
    event_id = models.CharField(max_length=64, db_index=True)
    type = models.CharField(max_length=255)
    payload = models.JSONField()
    attempt = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id", "attempt"], name="webhooks_delivery_attempt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} #{self.attempt} to {self.endpoint_id}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
