from django.conf import settings
from django.db import models

from apps.core.models import TimeStampedModel, UUIDModel


class OrderExport(UUIDModel, TimeStampedModel):
    """A CSV of one customer's orders, built by a task and kept in the default storage (a private bucket)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="order_exports")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING)
    # Empty until the file is completely stored: a ready export always names a whole object.
    file = models.FileField(blank=True, max_length=255)
    error = models.CharField(max_length=200, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="order_exports_owner_recent_idx")]

    def __str__(self) -> str:
        return f"Order export {self.pk} ({self.status})"
